# daemon/face: the commands, the service and memdiag.conf
# Included from Makefile.am; a file here includes only its own folder and the
# layers below it (tests/sh/layers.sh).

daemon_libmemdiag_a_SOURCES += \
	daemon/face/cmd.h \
	daemon/face/cmd_analyze.c \
	daemon/face/cmd_call.c \
	daemon/face/cmd_check.c \
	daemon/face/cmd_cleanup.c \
	daemon/face/cmd_diag.c \
	daemon/face/cmd_dump.c \
	daemon/face/cmd_gate.c \
	daemon/face/cmd_inspect.c \
	daemon/face/cmd_rpc.c \
	daemon/face/cmdline.c \
	daemon/face/cmdline.h \
	daemon/face/conf.c \
	daemon/face/conf.h \
	daemon/face/conf_check.c \
	daemon/face/conf_priv.h \
	daemon/face/conf_text.c \
	daemon/face/service.c \
	daemon/face/service_priv.h \
	daemon/face/service_watch.c
