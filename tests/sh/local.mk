# tests/sh: the scripts, each against the real Kamailio or the built
# memdiag; exit 77 is skipped. TESTS run in make check, FULL_TESTS (slow
# matrices, faults, sanitizers) in make check-full. Included from Makefile.am.

TESTS += \
	tests/sh/diag-kamailio-61.sh \
	tests/sh/opensips-inspect.sh \
	tests/sh/opensips-service.sh \
	tests/sh/diag-live.sh \
	tests/sh/diag-oom-now.sh \
	tests/sh/diag-dump-floor.sh \
	tests/sh/target-cfgpath.sh \
	tests/sh/diag-probe.sh \
	tests/sh/layers.sh \
	tests/sh/unit-exposure.sh \
	tests/sh/fifo-inputs.sh \
	tests/sh/statedir-trust.sh \
	tests/sh/analyze-cli.sh \
	tests/sh/fuzz-replay.sh \
	tests/sh/kamailio-dumps.sh \
	tests/sh/manpage.sh \
	tests/sh/target.sh \
	tests/sh/dump-cmd.sh \
	tests/sh/privileges.sh \
	tests/sh/dump-syslog.sh \
	tests/sh/dump-journal.sh \
	tests/sh/dump-faults.sh \
	tests/sh/dump-allocs.sh \
	tests/sh/dump-pidns.sh \
	tests/sh/call-flows.sh \
	tests/sh/call-auth.sh \
	tests/sh/call-errors.sh \
	tests/sh/call-loss.sh \
	tests/sh/call-fuzz-replay.sh \
	tests/sh/call-batch.sh \
	tests/sh/rpc-kamcmd.sh \
	tests/sh/gate-nft.sh \
	tests/sh/gate-hook.sh \
	tests/sh/gate-harm.sh \
	tests/sh/gate-tcp.sh \
	tests/sh/diag-e2e.sh \
	tests/sh/diag-report.sh \
	tests/sh/call-delay.sh \
	tests/sh/diag-proxy-faults.sh \
	tests/sh/conf-hostile.sh \
	tests/sh/manpage-conf.sh \
	tests/sh/history-disk.sh \
	tests/sh/metrics-http.sh \
	tests/sh/chart-render.sh \
	tests/sh/service.sh \
	tests/sh/service-child-crash.sh \
	tests/sh/service-rolling.sh \
	tests/sh/check-cmd.sh \
	tests/sh/privileges-service.sh

FULL_TESTS += \
	tests/sh/deb-package.sh \
	tests/sh/diag-matrix-versions.sh \
	tests/sh/opensips-observe.sh \
	tests/sh/opensips-diag.sh \
	tests/sh/diag-live-matrix.sh \
	tests/sh/call-timeout.sh \
	tests/sh/call-valgrind.sh \
	tests/sh/gate-nft-slow.sh \
	tests/sh/diag-gated.sh \
	tests/sh/diag-scenarios.sh \
	tests/sh/diag-matrix.sh \
	tests/sh/diag-debian.sh \
	tests/sh/diag-signals.sh \
	tests/sh/diag-diskfull.sh \
	tests/sh/diag-nearfull.sh \
	tests/sh/sanitize-full.sh

EXTRA_DIST += $(filter %.sh,$(TESTS)) $(FULL_TESTS) tests/sh/capture-fixtures.sh
