# tests/tools: small programs the scripts drive (no tests of their own).
# Included from Makefile.am.

check_PROGRAMS += \
	tests/tools/call_batch_drive \
	tests/tools/conf_drive \
	tests/tools/conf_keys \
	tests/tools/gate_probe \
	tests/tools/history_drive \
	tests/tools/metrics_drive \
	tests/tools/notify_listen \
	tests/tools/udp_relay
# the batch API driven as the diagnosis drives it
tests_tools_call_batch_drive_SOURCES = tests/tools/call_batch_drive.c
tests_tools_call_batch_drive_LDADD = daemon/libmemdiag.a $(MEMDIAG_LIBS)
# conf_load on a file: its status and error line
tests_tools_conf_drive_SOURCES = tests/tools/conf_drive.c
tests_tools_conf_drive_LDADD = daemon/libmemdiag.a $(MEMDIAG_LIBS)
# conf_keys[], for the man page check
tests_tools_conf_keys_SOURCES = tests/tools/conf_keys.c
tests_tools_conf_keys_LDADD = daemon/libmemdiag.a $(MEMDIAG_LIBS)
# UDP and TCP probes through the gate
tests_tools_gate_probe_SOURCES = tests/tools/gate_probe.c
# history_save/load on a directory
tests_tools_history_drive_SOURCES = tests/tools/history_drive.c
tests_tools_history_drive_LDADD = daemon/libmemdiag.a $(MEMDIAG_LIBS)
# metrics.c's HTTP endpoint
tests_tools_metrics_drive_SOURCES = tests/tools/metrics_drive.c
tests_tools_metrics_drive_LDADD = daemon/libmemdiag.a $(MEMDIAG_LIBS)
# a NOTIFY_SOCKET that prints what it hears
tests_tools_notify_listen_SOURCES = tests/tools/notify_listen.c
# a UDP relay that delays and reorders datagrams (no netem here)
tests_tools_udp_relay_SOURCES = tests/tools/udp_relay.c
if HAVE_SECCOMP
# exec a command under an allow-list of system calls (a unit's filter)
check_PROGRAMS += tests/tools/seccomp_exec
tests_tools_seccomp_exec_SOURCES = tests/tools/seccomp_exec.c
tests_tools_seccomp_exec_CFLAGS = $(AM_CFLAGS) $(SECCOMP_CFLAGS)
tests_tools_seccomp_exec_LDADD = $(SECCOMP_LIBS)
endif
