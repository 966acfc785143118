# daemon/core: the pure core: the dump parser, the diff, the verdict (no I/O)
# Included from Makefile.am; a file here includes only its own folder and the
# layers below it (tests/sh/layers.sh).

daemon_libmemdiag_a_SOURCES += \
	daemon/core/diff.c \
	daemon/core/diff.h \
	daemon/core/dump.c \
	daemon/core/dump.h \
	daemon/core/dump_lines.c \
	daemon/core/dump_priv.h \
	daemon/core/dump_result.c \
	daemon/core/dump_types.h \
	daemon/core/growth.c \
	daemon/core/growth.h \
	daemon/core/logframe.c \
	daemon/core/logframe.h \
	daemon/core/logline.c \
	daemon/core/logline.h \
	daemon/core/memerr.c \
	daemon/core/memerr.h \
	daemon/core/scan.h \
	daemon/core/site.c \
	daemon/core/site.h \
	daemon/core/verdict.c \
	daemon/core/verdict.h
