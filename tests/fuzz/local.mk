# tests/fuzz: the fuzz targets. Each also builds as a plain program that
# replays its corpus and every crash ever found (make check); with
# --enable-fuzzing, as a libFuzzer binary. Included from Makefile.am.

check_PROGRAMS += tests/fuzz/replay_dump
tests_fuzz_replay_dump_SOURCES = tests/fuzz/fuzz_dump.c tests/fuzz/replay.c
tests_fuzz_replay_dump_LDADD = daemon/libmemdiag.a $(MEMDIAG_LIBS)
check_PROGRAMS += tests/fuzz/replay_sip
tests_fuzz_replay_sip_SOURCES = tests/fuzz/fuzz_sip.c tests/fuzz/replay.c
tests_fuzz_replay_sip_LDADD = daemon/libmemdiag.a $(MEMDIAG_LIBS)
check_PROGRAMS += tests/fuzz/replay_binrpc
tests_fuzz_replay_binrpc_SOURCES = tests/fuzz/fuzz_binrpc.c tests/fuzz/replay.c
tests_fuzz_replay_binrpc_LDADD = daemon/libmemdiag.a $(MEMDIAG_LIBS)
check_PROGRAMS += tests/fuzz/replay_conf
tests_fuzz_replay_conf_SOURCES = tests/fuzz/fuzz_conf.c tests/fuzz/replay.c
tests_fuzz_replay_conf_LDADD = daemon/libmemdiag.a $(MEMDIAG_LIBS)

if ENABLE_FUZZING
noinst_PROGRAMS = tests/fuzz/fuzz_dump tests/fuzz/fuzz_sip tests/fuzz/fuzz_binrpc tests/fuzz/fuzz_conf
tests_fuzz_fuzz_dump_SOURCES = tests/fuzz/fuzz_dump.c
tests_fuzz_fuzz_dump_LDFLAGS = -fsanitize=fuzzer
tests_fuzz_fuzz_dump_LDADD = daemon/libmemdiag.a $(MEMDIAG_LIBS)
tests_fuzz_fuzz_sip_SOURCES = tests/fuzz/fuzz_sip.c
tests_fuzz_fuzz_sip_LDFLAGS = -fsanitize=fuzzer
tests_fuzz_fuzz_sip_LDADD = daemon/libmemdiag.a $(MEMDIAG_LIBS)
tests_fuzz_fuzz_binrpc_SOURCES = tests/fuzz/fuzz_binrpc.c
tests_fuzz_fuzz_binrpc_LDFLAGS = -fsanitize=fuzzer
tests_fuzz_fuzz_binrpc_LDADD = daemon/libmemdiag.a $(MEMDIAG_LIBS)
tests_fuzz_fuzz_conf_SOURCES = tests/fuzz/fuzz_conf.c
tests_fuzz_fuzz_conf_LDFLAGS = -fsanitize=fuzzer
tests_fuzz_fuzz_conf_LDADD = daemon/libmemdiag.a $(MEMDIAG_LIBS)
endif

EXTRA_DIST += tests/fuzz/corpus tests/fuzz/crashes tests/fuzz/capture-binrpc.sh

if ENABLE_FUZZING
# make fuzz-run [FUZZ_SECONDS=600]: each fuzzer that long on its committed
# corpus; the inputs that add coverage are merged into tests/fuzz/corpus/
# NAME (commit them), a
# crash lands in tests/fuzz/crashes/NAME (fix it, commit it: make check
# replays both)
FUZZ_SECONDS = 600
fuzz-run: $(noinst_PROGRAMS)
	@for f in dump sip binrpc conf; do \
	    mkdir -p $(srcdir)/tests/fuzz/corpus/$$f \
	        $(srcdir)/tests/fuzz/crashes/$$f || exit 1; \
	    echo "== fuzz_$$f for $(FUZZ_SECONDS) s"; \
	    rm -rf fuzz-new-$$f && mkdir fuzz-new-$$f || exit 1; \
	    ./tests/fuzz/fuzz_$$f -max_total_time=$(FUZZ_SECONDS) \
	        -artifact_prefix=$(srcdir)/tests/fuzz/crashes/$$f/ \
	        fuzz-new-$$f $(srcdir)/tests/fuzz/corpus/$$f || exit 1; \
	    ./tests/fuzz/fuzz_$$f -merge=1 $(srcdir)/tests/fuzz/corpus/$$f \
	        fuzz-new-$$f >/dev/null 2>&1 || exit 1; \
	    rm -rf fuzz-new-$$f; \
	done
endif
