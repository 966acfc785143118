# daemon/engine: the diagnosis: its state machine over the layers below
# Included from Makefile.am; a file here includes only its own folder and the
# layers below it (tests/sh/layers.sh).

daemon_libmemdiag_a_SOURCES += \
	daemon/engine/attach.c \
	daemon/engine/attach.h \
	daemon/engine/diag.c \
	daemon/engine/diag.h \
	daemon/engine/diag_before.c \
	daemon/engine/diag_bundle.c \
	daemon/engine/diag_bundle.h \
	daemon/engine/diag_dump.c \
	daemon/engine/diag_io.c \
	daemon/engine/diag_judge.c \
	daemon/engine/diag_judge.h \
	daemon/engine/diag_observe.c \
	daemon/engine/diag_observe.h \
	daemon/engine/diag_observe_report.c \
	daemon/engine/diag_preflight.c \
	daemon/engine/diag_priv.h \
	daemon/engine/diag_progress.c \
	daemon/engine/diag_quiet.c \
	daemon/engine/diag_report.c \
	daemon/engine/diag_rights.c \
	daemon/engine/diag_timeline.c \
	daemon/engine/hold.c \
	daemon/engine/hold.h
