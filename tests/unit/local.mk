# tests/unit: the C unit tests (cmocka, TAP), one per module they test,
# built against daemon/libmemdiag.a. Included from Makefile.am.

if HAVE_CMOCKA
UNIT_TESTS = \
	tests/unit/test_growth \
	tests/unit/test_child \
	tests/unit/test_dump \
	tests/unit/test_logline \
	tests/unit/test_diff \
	tests/unit/test_procfs \
	tests/unit/test_target \
	tests/unit/test_logtail \
	tests/unit/test_verdict \
	tests/unit/test_sipmsg \
	tests/unit/test_binrpc \
	tests/unit/test_rpc_kam \
	tests/unit/test_rpc \
	tests/unit/test_gate \
	tests/unit/test_cfgtimers \
	tests/unit/test_conf \
	tests/unit/test_history \
	tests/unit/test_metrics \
	tests/unit/test_mi \
	tests/unit/test_dumper
check_PROGRAMS += $(UNIT_TESTS)
TESTS += $(UNIT_TESTS)
tests_unit_test_dump_SOURCES = tests/unit/test_dump.c tests/unit/fixture.c tests/unit/fixture.h
tests_unit_test_dump_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_dump_LDADD = $(TEST_LIBS)
tests_unit_test_logline_SOURCES = tests/unit/test_logline.c
tests_unit_test_logline_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_logline_LDADD = $(TEST_LIBS)
tests_unit_test_diff_SOURCES = tests/unit/test_diff.c tests/unit/fixture.c tests/unit/fixture.h
tests_unit_test_diff_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_diff_LDADD = $(TEST_LIBS)
tests_unit_test_procfs_SOURCES = tests/unit/test_procfs.c
tests_unit_test_procfs_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_procfs_LDADD = $(TEST_LIBS)
tests_unit_test_target_SOURCES = tests/unit/test_target.c
tests_unit_test_target_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_target_LDADD = $(TEST_LIBS)
tests_unit_test_logtail_SOURCES = tests/unit/test_logtail.c
tests_unit_test_logtail_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_logtail_LDADD = $(TEST_LIBS)
tests_unit_test_verdict_SOURCES = tests/unit/test_verdict.c
tests_unit_test_verdict_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_verdict_LDADD = $(TEST_LIBS)
tests_unit_test_sipmsg_SOURCES = tests/unit/test_sipmsg.c
tests_unit_test_sipmsg_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_sipmsg_LDADD = $(TEST_LIBS)
tests_unit_test_binrpc_SOURCES = tests/unit/test_binrpc.c
tests_unit_test_binrpc_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_binrpc_LDADD = $(TEST_LIBS)
tests_unit_test_rpc_kam_SOURCES = tests/unit/test_rpc_kam.c
tests_unit_test_rpc_kam_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_rpc_kam_LDADD = $(TEST_LIBS)
tests_unit_test_rpc_SOURCES = tests/unit/test_rpc.c tests/unit/tmpdir.c tests/unit/tmpdir.h
tests_unit_test_rpc_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_rpc_LDADD = $(TEST_LIBS)
tests_unit_test_gate_SOURCES = tests/unit/test_gate.c
tests_unit_test_gate_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_gate_LDADD = $(TEST_LIBS)
tests_unit_test_cfgtimers_SOURCES = tests/unit/test_cfgtimers.c
tests_unit_test_cfgtimers_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_cfgtimers_LDADD = $(TEST_LIBS)
tests_unit_test_conf_SOURCES = tests/unit/test_conf.c
tests_unit_test_conf_CFLAGS = $(TEST_CFLAGS) -DSRCDIR='"$(abs_top_srcdir)"'
tests_unit_test_conf_LDADD = $(TEST_LIBS)
tests_unit_test_history_SOURCES = tests/unit/test_history.c
tests_unit_test_history_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_history_LDADD = $(TEST_LIBS)
tests_unit_test_metrics_SOURCES = tests/unit/test_metrics.c
tests_unit_test_metrics_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_metrics_LDADD = $(TEST_LIBS)
tests_unit_test_mi_SOURCES = tests/unit/test_mi.c tests/unit/tmpdir.c tests/unit/tmpdir.h
tests_unit_test_mi_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_mi_LDADD = $(TEST_LIBS)
tests_unit_test_dumper_SOURCES = tests/unit/test_dumper.c tests/unit/tmpdir.c tests/unit/tmpdir.h
tests_unit_test_dumper_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_dumper_LDADD = $(TEST_LIBS)
tests_unit_test_child_SOURCES = tests/unit/test_child.c
tests_unit_test_child_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_child_LDADD = $(TEST_LIBS)
tests_unit_test_growth_SOURCES = tests/unit/test_growth.c
tests_unit_test_growth_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_growth_LDADD = $(TEST_LIBS)
endif
