/*
 * px: the proxy's control interface as the engine sees it (px.h); this
 * file picks the flavour's ops (px_kam.c, px_os.c) and carries one
 * sample at a time to its caller.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/xmalloc.h"
#include "proxy/px.h"
#include "proxy/px_priv.h"

static const struct px_ops *const px_flavours[] = {
	&px_kam_ops,
	&px_os_ops,
	NULL
};

struct px *
px_new(struct event_base *base, const struct target *t, const char *addr,
    char *err, size_t errlen)
{
	const struct px_ops *ops = NULL;
	struct px *px;
	size_t i;

	for (i = 0; px_flavours[i] != NULL; i++)
		if (strcmp(px_flavours[i]->flavour, t->flavour) == 0)
			ops = px_flavours[i];
	/* the old SER family speaks Kamailio's binrpc, where it speaks */
	if (ops == NULL)
		ops = &px_kam_ops;
	px = xcalloc(1, sizeof(*px));
	px->ops = ops;
	px->base = base;
	px->addr = xstrdup(addr);
	if ((px->priv = ops->open(px, err, errlen)) == NULL) {
		free(px->addr);
		free(px);
		return NULL;
	}
	return px;
}

void
px_free(struct px *px)
{
	if (px == NULL)
		return;
	px->ops->close(px->priv);
	rpc_kam_pkg_stats_clear(&px->s.pkg);
	free(px->addr);
	free(px);
}

const char *
px_addr(const struct px *px)
{
	return px->addr;
}

const char *
px_flavour(const struct px *px)
{
	return px->ops->flavour;
}

const char *const *
px_methods(const struct px *px)
{
	return px->ops->methods;
}

void
px_sample(struct px *px, unsigned what, double timeout, px_sample_cb cb,
    void *arg)
{
	if (px->busy)
		fatalx(1, "px_sample: a sample is in flight already");
	rpc_kam_pkg_stats_clear(&px->s.pkg);
	memset(&px->s, 0, sizeof(px->s));
	px->s.tm_current = -1;
	px->s.tm_asked = (what & PX_TM) != 0;
	px->s.counters.inflight = -1;
	px->busy = true;
	px->cb = cb;
	px->arg = arg;
	px->ops->sample(px, what, timeout);
}

bool
px_busy(const struct px *px)
{
	return px->busy;
}

void
px_sample_done(struct px *px)
{
	px->busy = false;
	px->cb(&px->s, px->arg);
}

char *
px_version(struct px *px, double timeout, char *err, size_t errlen)
{
	return px->ops->version(px, timeout, err, errlen);
}

int
px_shm(struct px *px, double timeout, struct rpc_kam_shmmem *m, char *err,
    size_t errlen)
{
	return px->ops->shm(px, timeout, m, err, errlen);
}

int
px_pkg(struct px *px, double timeout, struct rpc_kam_pkg_stats *st,
    char *err, size_t errlen)
{
	memset(st, 0, sizeof(*st));
	return px->ops->pkg(px, timeout, st, err, errlen);
}

void
px_harm(struct px *px, unsigned budget, struct px_harm *h)
{
	memset(h, 0, sizeof(*h));
	px->ops->harm(px, budget, h);
}

char **
px_peers(struct px *px, size_t *n)
{
	*n = 0;
	return px->ops->peers(px, n);
}

json_t *
px_about(struct px *px)
{
	return px->ops->about(px);
}

void
px_strings_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}
