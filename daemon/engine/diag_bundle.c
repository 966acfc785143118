/*
 * --bundle DIR: one directory an operator can attach to an upstream bug
 * report. MANIFEST (what each file is, and what is missing), report.txt
 * and report.json (memdiag's report), dumps.json (every dump taken, as
 * analyze --json prints them), proxy-log.txt (the proxy's own log lines
 * during the run: the raw dumps), version.txt (the executable's -v and -I,
 * run from /proc/PID/exe), proxy.json (what the proxy says over RPC:
 * core.info, core.flags, core.modules, mod.stats, shm.info, pkg.info;
 * its command line, pool sizes and allocators; memlog and mem_summary as
 * they were before memdiag lowered them). Directory 0700, files 0600.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/diag_bundle.h"
#include "engine/diag_priv.h"
#include "lib/exitcodes.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "report/report.h"

#define BUNDLE_MAGIC "memdiag bundle"
#define BUNDLE_LOG_MAX (64ULL << 20)	/* of the run's log, the latest */


/* What a bundle holds; a previous bundle's files are replaced. */
static const char *const bundle_files[] = { "MANIFEST", "report.txt",
	"report.json", "dumps.json", "proxy-log.txt", "version.txt",
	"proxy.json", NULL };

static bool
is_bundle(const char *dir)
{
	char path[4096], line[64] = "";
	FILE *f;

	snprintf(path, sizeof(path), "%s/MANIFEST", dir);
	if ((f = fopen(path, "re")) == NULL)
		return false;
	if (fgets(line, sizeof(line), f) == NULL)
		line[0] = '\0';
	fclose(f);
	return strncmp(line, BUNDLE_MAGIC, strlen(BUNDLE_MAGIC)) == 0;
}

int
diag_bundle_prepare(const char *dir, char *err, size_t errlen)
{
	struct dirent *e;
	struct stat st;
	bool empty = true;
	DIR *dp;

	if (mkdir(dir, 0700) == 0)
		return 0;
	if (errno != EEXIST) {
		snprintf(err, errlen, "--bundle %s: cannot create it: %s", dir,
		    strerror(errno));
		return EX_MD_USAGE;
	}
	if (stat(dir, &st) == -1 || !S_ISDIR(st.st_mode) ||
	    (dp = opendir(dir)) == NULL) {
		snprintf(err, errlen, "--bundle %s: not a directory memdiag "
		    "can read", dir);
		return EX_MD_USAGE;
	}
	while ((e = readdir(dp)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			empty = false;
	closedir(dp);
	if (empty || is_bundle(dir))
		return 0;
	snprintf(err, errlen, "--bundle %s: not empty and not a previous "
	    "bundle: give a new or empty directory", dir);
	return EX_MD_USAGE;
}

/* name in dir, created or truncated, 0600; NULL with err set. */
static FILE *
bundle_open(const char *dir, const char *name, char *err, size_t errlen)
{
	char path[4096];
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1 || fchmod(fd, 0600) == -1 ||
	    (f = fdopen(fd, "w")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return NULL;
	}
	return f;
}

static int
bundle_close(FILE *f, const char *dir, const char *name, char *err,
    size_t errlen)
{
	bool bad = ferror(f) != 0;

	if (fclose(f) != 0 || bad) {
		snprintf(err, errlen, "%s/%s: %s", dir, name, strerror(errno ?
		    errno : EIO));
		return -1;
	}
	return 0;
}

/*
 * The proxy's version and build, as it says them over RPC. Never by
 * running its executable: /proc/PID/exe would run with memdiag's rights,
 * and a PID keeps its start time across execve, so what runs there now
 * is not what was verified.
 */
static void
write_version(struct diag *d, FILE *f, json_t *about)
{
	static const char *const what[] = { "core.info", "core.flags",
		"version" };
	size_t i;

	fprintf(f, "%s pid %d: %s%s\nover RPC: %s\n\n", d->t->flavour,
	    (int)d->t->main.pid, d->t->exe, d->t->exe_deleted ?
	    " (replaced on disk since it started)" : "",
	    d->version ? d->version : "?");
	for (i = 0; i < sizeof(what) / sizeof(what[0]); i++) {
		json_t *j = json_object_get(about, what[i]);
		char *text;

		if (j == NULL)
			continue;
		text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
		fprintf(f, "$ rpc %s\n%s\n\n", what[i], text ? text : "?");
		free(text);
	}
}

/* A core setting as it was before memdiag changed it. */
static json_t *
setting(struct diag *d, const char *name)
{
	char err[256];
	int64_t v;
	int i;

	for (i = 0; d->s != NULL && i < d->s->n; i++)
		if (strcmp(d->s->v[i].group, "core") == 0 &&
		    strcmp(d->s->v[i].name, name) == 0)
			return json_integer(d->s->v[i].orig);
	if (d->s != NULL && settings_get(d->s, "core", name, &v, err,
	    sizeof(err)) == 0)
		return json_integer(v);
	return json_null();
}

static json_t *
proxy_json(struct diag *d, json_t *about)
{
	json_t *argv = json_array(), *o;
	int i;

	for (i = 0; i < d->t->argc; i++)
		json_array_append_new(argv, json_string(d->t->argv[i]));
	o = json_pack("{s:s, s:i, s:s, s:o, s:{s:o, s:o, s:s?, s:s?, s:o, "
	    "s:o, s:o, s:{s:I, s:I, s:I, s:I}}}",
	    "flavour", d->t->flavour, "pid", (int)d->t->main.pid, "exe",
	    d->t->exe, "cmdline", argv, "memory",
	    "shm_mb", d->t->shm_mb ? json_integer(d->t->shm_mb) : json_null(),
	    "pkg_mb", d->t->pkg_mb ? json_integer(d->t->pkg_mb) : json_null(),
	    "shm_allocator", d->t->shm_alloc, "pkg_allocator", d->t->pkg_alloc,
	    "memlog", setting(d, "memlog"), "mem_summary",
	    setting(d, "mem_summary"), "debug", setting(d, "debug"),
	    "shm_at_start", "total", (json_int_t)d->shm_start.total, "used",
	    (json_int_t)d->shm_start.used, "real_used",
	    (json_int_t)d->shm_start.real_used, "max_used",
	    (json_int_t)d->shm_start.max_used);
	json_object_set(o, "rpc", about);
	return o;
}

static json_t *
dumps_json(struct diag *d)
{
	json_t *rounds = json_array();
	int i;

	for (i = 0; i <= d->round && i <= VERDICT_MAX_ROUNDS; i++) {
		const struct diag_round *r = &d->rounds[i];

		json_array_append_new(rounds, json_pack("{s:i, s:o, s:o}",
		    "round", i, "shm", r->dumps.dumps ?
		    report_analyze_json(r->dumps.dumps) : json_null(), "pkg",
		    r->kids.dumps ? report_analyze_json(r->kids.dumps) :
		    json_null()));
	}
	return json_pack("{s:o}", "rounds", rounds);
}

static void
log_data(void *arg, const char *buf, size_t len)
{
	fwrite(buf, 1, len, arg);
}

/* journal entries as Debian 12's syslog lines: analyze reads them */
static void
log_entry(void *arg, uint64_t usec, long pid, const char *ident,
    const char *msg, size_t len)
{
	char stamp[64], host[256] = "localhost";
	time_t t = (time_t)(usec / 1000000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	gethostname(host, sizeof(host) - 1);
	fprintf(arg, "%s.%06llu+00:00 %s %s[%ld]: %.*s\n", stamp,
	    (unsigned long long)(usec % 1000000), host, ident[0] ? ident :
	    "proxy", pid, (int)len, msg);
}

static const struct loghist_ops bundle_log_ops = {
	.data = log_data,
	.entry = log_entry,
};

static void
write_manifest(struct diag *d, FILE *f, const char *log_what, bool log_ok)
{
	char stamp[64];
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(f, "%s, memdiag %s, %s\n", BUNDLE_MAGIC, PACKAGE_VERSION,
	    stamp);
	fprintf(f, "target: %s pid %d (%s), %s\n\n", d->t->flavour,
	    (int)d->t->main.pid, d->t->exe, d->version ? d->version : "?");
	fprintf(f, "report.txt     memdiag's report\n"
	    "report.json    the same as JSON (memdiag(8), JSON)\n"
	    "dumps.json     every dump taken, per round, as memdiag analyze "
	    "--json prints them\n"
	    "proxy-log.txt  the proxy's log during the run, with the dumps' "
	    "raw lines: %s\n"
	    "version.txt    %s -v and -I, run from /proc/%d/exe\n"
	    "proxy.json     over RPC: core.info, core.flags, core.modules, "
	    "mod.stats, shm.info,\n"
	    "               pkg.info; command line, pool sizes, allocators; "
	    "memlog, mem_summary\n"
	    "               and debug as they were before memdiag changed "
	    "them\n", log_ok ? log_what : "NOT KEPT", d->t->flavour,
	    (int)d->t->main.pid);
	if (!log_ok)
		fprintf(f, "\nproxy-log.txt is empty: %s\n", log_what);
}

void
diag_bundle_write(struct diag *d, const char *text, json_t *report)
{
	const char *dir = d->o->bundle;
	char err[4200], what[512];
	json_t *j, *about = NULL;
	FILE *f;
	bool log_ok;
	int i;

	for (i = 0; bundle_files[i] != NULL; i++) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/%s", dir, bundle_files[i]);
		unlink(path);
	}
#define BUNDLE_FILE(name, body) do {					\
	if ((f = bundle_open(dir, name, err, sizeof(err))) == NULL)	\
		goto fail;						\
	body;								\
	if (bundle_close(f, dir, name, err, sizeof(err)) != 0)		\
		goto fail;						\
} while (0)
	BUNDLE_FILE("report.txt", fputs(text, f));
	BUNDLE_FILE("report.json", json_dumpf(report, f, JSON_INDENT(2)));
	j = dumps_json(d);
	BUNDLE_FILE("dumps.json", json_dumpf(j, f, JSON_INDENT(1)));
	json_decref(j);
	/* what the proxy says about itself, asked once for both files */
	about = d->px != NULL ? px_about(d->px) : json_object();
	j = proxy_json(d, about);
	BUNDLE_FILE("proxy.json", json_dumpf(j, f, JSON_INDENT(2)));
	json_decref(j);
	BUNDLE_FILE("version.txt", write_version(d, f, about));
	json_decref(about);
	about = NULL;
	BUNDLE_FILE("proxy-log.txt", {
		struct loghist_range r;
		pid_t *pids = xcalloc(d->t->nkids + 1, sizeof(*pids));
		size_t k;

		pids[0] = d->t->main.pid;
		for (k = 0; k < d->t->nkids; k++)
			pids[k + 1] = d->t->kids[k].pid;
		memset(&r, 0, sizeof(r));
		r.from = &d->log.mark;
		r.max_bytes = BUNDLE_LOG_MAX;
		r.pids = pids;
		r.npids = d->t->nkids + 1;
		log_ok = loghist_read(d->logspec, &r, &bundle_log_ops, f,
		    what, sizeof(what)) == 0;
		free(pids);
	});
	/* last: a directory with a MANIFEST is a finished bundle */
	BUNDLE_FILE("MANIFEST", write_manifest(d, f, what, log_ok));
#undef BUNDLE_FILE
	log_info("bundle written to %s", dir);
	return;
fail:
	json_decref(about);
	log_warnx("--bundle: %s: the bundle is incomplete", err);
}
