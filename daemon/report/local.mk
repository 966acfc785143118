# daemon/report: what leaves memdiag: reports, charts, history, metrics
# Included from Makefile.am; a file here includes only its own folder and the
# layers below it (tests/sh/layers.sh).

daemon_libmemdiag_a_SOURCES += \
	daemon/report/chart.c \
	daemon/report/chart.h \
	daemon/report/chart_floors.c \
	daemon/report/chart_growth.c \
	daemon/report/chart_priv.h \
	daemon/report/chart_svg.c \
	daemon/report/history.c \
	daemon/report/history.h \
	daemon/report/metrics.c \
	daemon/report/metrics.h \
	daemon/report/nagios.c \
	daemon/report/nagios.h \
	daemon/report/report.c \
	daemon/report/report.h \
	daemon/report/trend.c \
	daemon/report/trend.h
