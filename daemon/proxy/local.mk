# daemon/proxy: the proxy: its processes, its RPC, its log, its settings, its dumps
# Included from Makefile.am; a file here includes only its own folder and the
# layers below it (tests/sh/layers.sh).

daemon_libmemdiag_a_SOURCES += \
	daemon/proxy/binrpc.c \
	daemon/proxy/binrpc.h \
	daemon/proxy/binrpc_enc.c \
	daemon/proxy/binrpc_json.c \
	daemon/proxy/binrpc_wire.h \
	daemon/proxy/cfgtimers.c \
	daemon/proxy/cfgtimers.h \
	daemon/proxy/dumper.c \
	daemon/proxy/dumper.h \
	daemon/proxy/dumper_kam.c \
	daemon/proxy/dumper_mi.c \
	daemon/proxy/dumper_priv.h \
	daemon/proxy/loghist.c \
	daemon/proxy/loghist.h \
	daemon/proxy/logtail.c \
	daemon/proxy/logtail.h \
	daemon/proxy/mi.c \
	daemon/proxy/mi.h \
	daemon/proxy/px.c \
	daemon/proxy/px.h \
	daemon/proxy/px_kam.c \
	daemon/proxy/px_os.c \
	daemon/proxy/px_priv.h \
	daemon/proxy/rpc.c \
	daemon/proxy/rpc.h \
	daemon/proxy/rpc_kam.c \
	daemon/proxy/rpc_kam.h \
	daemon/proxy/rpc_sync.c \
	daemon/proxy/settings.c \
	daemon/proxy/settings.h \
	daemon/proxy/target.c \
	daemon/proxy/target.h \
	daemon/proxy/target_discover.c \
	daemon/proxy/target_priv.h \
	daemon/proxy/target_signal.c \
	daemon/proxy/target_syslog.c
