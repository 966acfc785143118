/* mi_os: OpenSIPS's figures over its MI (mi_os.h). */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "lib/xmalloc.h"
#include "proxy/mi.h"
#include "proxy/mi_os.h"

char *
mi_os_version(const char *mi, double timeout, char *err, size_t errlen)
{
	struct mi_reply r;
	const char *s;
	char *v = NULL;

	if (mi_call(mi, "version", NULL, timeout, &r) != 0)
		snprintf(err, errlen, "%s", r.error);
	else if ((s = json_string_value(json_object_get(r.result,
	    "Server"))) == NULL)
		snprintf(err, errlen, "%s: version: no \"Server\" in its reply",
		    mi);
	else
		v = xstrdup(s);
	mi_reply_clear(&r);
	return v;
}

/* get_statistics for groups; the flat object of "group:name": value */
static json_t *
stats(const char *mi, double timeout, const char *g1, const char *g2,
    char *err, size_t errlen)
{
	struct mi_reply r;
	json_t *v;

	if (mi_call(mi, "get_statistics", json_pack("{s:[s,s]}",
	    "statistics", g1, g2), timeout, &r) != 0) {
		snprintf(err, errlen, "%s", r.error);
		mi_reply_clear(&r);
		return NULL;
	}
	v = json_incref(r.result);
	mi_reply_clear(&r);
	return v;
}

static bool
num(const json_t *o, const char *key, double *out)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_number(v))
		return false;
	*out = json_number_value(v);
	return true;
}

int
mi_os_shm(const char *mi, double timeout, struct rpc_kam_shmmem *out,
    char *err, size_t errlen)
{
	json_t *s = stats(mi, timeout, "shmem:", "shmem:", err, errlen);
	double total, used, real, max, fr, frags;

	if (s == NULL)
		return -1;
	if (!num(s, "shmem:total_size", &total) ||
	    !num(s, "shmem:used_size", &used) ||
	    !num(s, "shmem:real_used_size", &real) ||
	    !num(s, "shmem:max_used_size", &max) ||
	    !num(s, "shmem:free_size", &fr)) {
		snprintf(err, errlen, "%s: get_statistics shmem:: a figure "
		    "missing from its reply", mi);
		json_decref(s);
		return -1;
	}
	if (!num(s, "shmem:fragments", &frags))
		frags = 0;
	out->total = (uint64_t)total;
	out->used = (uint64_t)used;
	out->real_used = (uint64_t)real;
	out->max_used = (uint64_t)max;
	out->free = (uint64_t)fr;
	out->fragments = (uint64_t)frags;
	json_decref(s);
	return 0;
}

int
mi_os_counters(const char *mi, double timeout, double *requests,
    double *inflight, char *err, size_t errlen)
{
	json_t *s = stats(mi, timeout, "core:", "tm:", err, errlen);

	if (s == NULL)
		return -1;
	if (!num(s, "core:rcv_requests", requests)) {
		snprintf(err, errlen, "%s: get_statistics: no "
		    "core:rcv_requests", mi);
		json_decref(s);
		return -1;
	}
	if (!num(s, "tm:inuse_transactions", inflight))
		*inflight = -1;
	json_decref(s);
	return 0;
}
