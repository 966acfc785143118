#!/bin/bash
# tests/sh/gate-nft.sh with the default element timeout (10 s) instead of 2 s:
# the gate holds across three real timeouts, and SIGKILL or SIGSTOP let
# users through within 11 s. About two minutes: make check-full only.
GATE_ET=10 exec bash "${top_srcdir:-$(dirname "$0")/../..}/tests/sh/gate-nft.sh"
