# daemon/gate: the traffic gate and its backends (nft, hook)
# Included from Makefile.am; a file here includes only its own folder and the
# layers below it (tests/sh/layers.sh).

daemon_libmemdiag_a_SOURCES += \
	daemon/gate/gate.c \
	daemon/gate/gate.h \
	daemon/gate/gate_hook.c \
	daemon/gate/gate_nft.c \
	daemon/gate/gate_priv.h
