# daemon/calls: test calls: the SIP engine on osip2 and libevent
# Included from Makefile.am; a file here includes only its own folder and the
# layers below it (tests/sh/layers.sh).

daemon_libmemdiag_a_SOURCES += \
	daemon/calls/call.c \
	daemon/calls/call.h \
	daemon/calls/call_batch.c \
	daemon/calls/call_engine.c \
	daemon/calls/call_priv.h \
	daemon/calls/call_uas.c \
	daemon/calls/callstat.c \
	daemon/calls/callstat.h \
	daemon/calls/sip.c \
	daemon/calls/sip.h \
	daemon/calls/sip_index.c \
	daemon/calls/sip_index.h \
	daemon/calls/sip_udp.c \
	daemon/calls/sip_udp.h \
	daemon/calls/sipmsg.c \
	daemon/calls/sipmsg.h \
	daemon/calls/sipmsg_auth.c \
	daemon/calls/sipmsg_check.c
