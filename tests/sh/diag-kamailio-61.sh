#!/bin/bash
# make check against Kamailio 6.1.4, built from ../shared/targets once per
# machine (tests/lib/build-target.sh; skipped, saying why, in a clone
# without it): the end-to-end diagnosis of diag-e2e.sh (a healthy proxy,
# an shm leak named at its site with its bytes per call, settings
# restored, SIGINT) on the newest upstream series, whose memory code
# 5.8-6.1 reworked (16-byte rounding, binrpc doubles in core.shmmem).
export KAM_TARGET=${KAM_TARGET:-kamailio-6.1.4}
exec bash "${top_srcdir:-$(dirname "$0")/../..}/tests/sh/diag-e2e.sh"
