# daemon/lib: what every layer may use: logging, allocation, /proc, state files
# Included from Makefile.am; a file here includes only its own folder and the
# layers below it (tests/sh/layers.sh).

daemon_libmemdiag_a_SOURCES += \
	daemon/lib/addr.c \
	daemon/lib/addr.h \
	daemon/lib/child.c \
	daemon/lib/child.h \
	daemon/lib/clock.c \
	daemon/lib/clock.h \
	daemon/lib/exitcodes.h \
	daemon/lib/linebuf.c \
	daemon/lib/linebuf.h \
	daemon/lib/log.c \
	daemon/lib/log.h \
	daemon/lib/procfs.c \
	daemon/lib/procfs_fd.c \
	daemon/lib/procfs.h \
	daemon/lib/rfile.c \
	daemon/lib/rfile.h \
	daemon/lib/statedir.c \
	daemon/lib/statedir.h \
	daemon/lib/xmalloc.c \
	daemon/lib/xmalloc.h
