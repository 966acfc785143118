/*
 * The live judgement (growth.h): per site, a robust fit of its bytes on
 * a request count and on what is in flight, then a class. A leak must
 * grow by more than three standard errors of its slope, by more than the
 * allocator's rounding over the window, and as fast in the window's
 * second half as in its first (else it levels off: warm-up); growth a
 * declared timer could still undo within the window is named as such.
 * A leak must also add fragments, or grow well beyond what the site held
 * (growth.h): short of both, the sizes of what is in flight drifted.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/growth.h"

#define GROWTH_IRLS_ROUNDS 12
#define GROWTH_HUBER 1.345
#define GROWTH_SIGMAS 3.0	/* a slope is real beyond this many se */
#define GROWTH_LEVELS 0.25	/* second half below this share: levels off */
#define GROWTH_DRIFT_SHARE 0.5	/* flat count: growth beyond this share of
				 * the bytes held is no drift */
#define GROWTH_FRAG_SHARE 0.02	/* fragments added: beyond this share of
				 * the count held ... */
#define GROWTH_FRAG_MIN 3	/* ... and at least this many */
#define GROWTH_IN_STEP 0.999	/* two counts this correlated: one line */
#define GROWTH_IN_PLACE_MIN 4	/* allocator roundings a buffer growing in
				 * place must gain over the window */
#define GROWTH_MIN_RISES 3	/* a leak rises at three samples at least */
#define GROWTH_RAMP_CORR 0.9	/* in flight this correlated with a count */
#define GROWTH_RAMP_SHARE 0.25	/* ... and rising by this share of its
				 * highest: one line with the count */
#define GROWTH_RAMP_MIN 5	/* ... and by this many transactions */

const char *
growth_class_name(enum growth_class c)
{
	switch (c) {
	case GROWTH_FLAT:
		return "flat";
	case GROWTH_LOAD:
		return "load";
	case GROWTH_LEAK:
		return "leak";
	case GROWTH_WARMUP:
		return "warm-up";
	case GROWTH_TIMER:
		return "timer";
	case GROWTH_INSUFFICIENT:
		return "insufficient";
	case GROWTH_DRIFT:
		return "drift";
	case GROWTH_RAMP:
		return "in-flight ramp";
	}
	return "?";
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median_abs(const double *v, size_t n)
{
	double tmp[GROWTH_MAX_SAMPLES];
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		tmp[i] = fabs(v[i]);
	qsort(tmp, n, sizeof(tmp[0]), cmp_double);
	return n % 2 ? tmp[n / 2] : (tmp[n / 2 - 1] + tmp[n / 2]) / 2;
}

/*
 * Solve the k x k system m * x = v (k <= 3) by Gaussian elimination;
 * the inverse's diagonal into inv_diag. false when singular.
 */
static bool
solve(double m[3][3], const double v[3], int k, double x[3],
    double inv_diag[3])
{
	double a[3][7];
	int i, j, r, p;

	for (i = 0; i < k; i++) {
		for (j = 0; j < k; j++) {
			a[i][j] = m[i][j];
			a[i][k + j] = i == j;
		}
		a[i][2 * k] = v[i];
	}
	for (i = 0; i < k; i++) {
		p = i;
		for (r = i + 1; r < k; r++)
			if (fabs(a[r][i]) > fabs(a[p][i]))
				p = r;
		if (fabs(a[p][i]) < 1e-12)
			return false;
		if (p != i)
			for (j = 0; j <= 2 * k; j++) {
				double t = a[i][j];

				a[i][j] = a[p][j];
				a[p][j] = t;
			}
		for (r = 0; r < k; r++) {
			double f;

			if (r == i)
				continue;
			f = a[r][i] / a[i][i];
			for (j = i; j <= 2 * k; j++)
				a[r][j] -= f * a[i][j];
		}
	}
	for (i = 0; i < k; i++) {
		x[i] = a[i][2 * k] / a[i][i];
		inv_diag[i] = a[i][k + i] / a[i][i];
	}
	return true;
}

struct fitin {
	const double *x, *z, *y;	/* count, in flight, bytes */
	size_t from, to;		/* samples [from, to) */
	bool use_z;
	double granularity;
};

struct fitout {
	double a, b, c, se_b, se_c, rss;
	bool ok;
};

/* y = a + b x (+ c z), Huber-weighted least squares. */
static void
irls(const struct fitin *in, struct fitout *out)
{
	double w[GROWTH_MAX_SAMPLES], r[GROWTH_MAX_SAMPLES];
	double m[3][3], v[3], x[3] = { 0, 0, 0 }, inv[3], s, sigma2, sw;
	size_t n = in->to - in->from, i;
	int k = in->use_z ? 3 : 2, it, p, q;

	memset(out, 0, sizeof(*out));
	if (n < (size_t)k + 2)
		return;
	for (i = 0; i < n; i++)
		w[i] = 1;
	for (it = 0; it < GROWTH_IRLS_ROUNDS; it++) {
		memset(m, 0, sizeof(m));
		memset(v, 0, sizeof(v));
		for (i = 0; i < n; i++) {
			double f[3] = { 1, in->x[in->from + i],
				in->use_z ? in->z[in->from + i] : 0 };

			for (p = 0; p < k; p++) {
				for (q = 0; q < k; q++)
					m[p][q] += w[i] * f[p] * f[q];
				v[p] += w[i] * f[p] * in->y[in->from + i];
			}
		}
		if (!solve(m, v, k, x, inv))
			return;
		for (i = 0; i < n; i++)
			r[i] = in->y[in->from + i] - x[0] - x[1] *
			    in->x[in->from + i] - (in->use_z ? x[2] *
			    in->z[in->from + i] : 0);
		s = 1.4826 * median_abs(r, n);
		if (s <= 0)
			break;		/* the line goes through the data */
		for (i = 0; i < n; i++)
			w[i] = fabs(r[i]) <= GROWTH_HUBER * s ? 1 :
			    GROWTH_HUBER * s / fabs(r[i]);
	}
	out->rss = 0;
	sw = 0;
	for (i = 0; i < n; i++) {
		out->rss += w[i] * r[i] * r[i];
		sw += w[i];
	}
	/* the allocator's rounding is noise the data may not show */
	sigma2 = out->rss / (double)(n - (size_t)k);
	if (sigma2 < in->granularity * in->granularity / 12)
		sigma2 = in->granularity * in->granularity / 12;
	(void)sw;
	out->a = x[0];
	out->b = x[1];
	out->c = in->use_z ? x[2] : 0;
	out->se_b = sqrt(sigma2 * fabs(inv[1]));
	out->se_c = in->use_z ? sqrt(sigma2 * fabs(inv[2])) : 0;
	out->ok = isfinite(out->b) && isfinite(out->se_b);
}

/* Pearson's correlation of two series; 0 when either is flat. */
static double
correlation(const double *x, const double *y, size_t n)
{
	double mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		mx += x[i] / (double)n;
		my += y[i] / (double)n;
	}
	for (i = 0; i < n; i++) {
		sxy += (x[i] - mx) * (y[i] - my);
		sxx += (x[i] - mx) * (x[i] - mx);
		syy += (y[i] - my) * (y[i] - my);
	}
	return sxx > 0 && syy > 0 ? sxy / sqrt(sxx * syy) : 0;
}

static double
spread(const double *v, size_t n)
{
	double lo = v[0], hi = v[0];
	size_t i;

	for (i = 1; i < n; i++) {
		lo = v[i] < lo ? v[i] : lo;
		hi = v[i] > hi ? v[i] : hi;
	}
	return hi - lo;
}

static bool
rss_ok(const struct fitout *fits, int m, double tol)
{
	return fits[m].ok && fits[m].rss <= tol;
}

/*
 * Did the site add fragments with the count at xs (beyond what is in
 * flight, z)? Its fragments fit like its bytes; they must grow by more
 * than three standard errors, by a share of what it held and by a few.
 */
static bool
adds_fragments(const struct fitin *bytes_fit, const double *counts,
    struct growth_fit *f)
{
	struct fitin fi = *bytes_fit;
	struct fitout c;
	size_t n = fi.to, half = n / 2 ? n / 2 : 1;
	double held = median_abs(counts, half);

	fi.from = 0;
	fi.y = counts;
	fi.granularity = 1;
	irls(&fi, &c);
	if (!c.ok)
		return false;
	f->frag_growth = c.b * (fi.x[n - 1] - fi.x[0]);
	return c.b > GROWTH_SIGMAS * c.se_b && f->frag_growth >=
	    GROWTH_FRAG_MIN && f->frag_growth > GROWTH_FRAG_SHARE * held;
}

/*
 * One buffer re-allocated ever larger, however large it already was: its
 * fragments flat, its bytes never fell from one sample to the next and
 * lie on the line within the allocator's rounding (drift scatters by
 * kilobytes round its trend).
 */
static bool
grows_in_place(const struct fitin *fi, const struct growth_fit *f,
    double growth)
{
	double r[GROWTH_MAX_SAMPLES];
	size_t i, n = fi->to - fi->from, up = 0;

	/* one allocation made once in the window is a step, not a buffer
	 * that every request makes longer: it must rise at most samples */
	if (growth < GROWTH_IN_PLACE_MIN * fi->granularity)
		return false;
	for (i = 0; i < n; i++) {
		size_t k = fi->from + i;

		if (i > 0 && fi->y[k] < fi->y[k - 1])
			return false;
		up += i > 0 && fi->y[k] > fi->y[k - 1];
		r[i] = fi->y[k] - f->a - f->b * fi->x[k] - (fi->use_z ?
		    f->c * fi->z[k] : 0);
	}
	if (2 * up < n - 1)
		return false;
	return 1.4826 * median_abs(r, n) <= 2 * fi->granularity +
	    GROWTH_FRAG_SHARE * growth;
}

/* In flight rose over the window, in step with the count x. */
static bool
load_ramps(const double *x, const double *z, size_t n)
{
	double hi = z[0], rise = z[n - 1] - z[0];
	size_t i;

	for (i = 1; i < n; i++)
		hi = z[i] > hi ? z[i] : hi;
	return rise >= GROWTH_RAMP_MIN && rise >= GROWTH_RAMP_SHARE * hi &&
	    correlation(x, z, n) > GROWTH_RAMP_CORR;
}

/* Samples at which the bytes rose from the one before. */
static size_t
rises(const double *y, size_t n)
{
	size_t i, k = 0;

	for (i = 1; i < n; i++)
		k += y[i] > y[i - 1];
	return k;
}

void
growth_fit_site(const struct growth_input *in, const struct growth_site *site,
    struct growth_fit *f)
{
	const double *bytes = site->bytes;
	double xs[GROWTH_METHODS][GROWTH_MAX_SAMPLES], z[GROWTH_MAX_SAMPLES];
	struct fitout best, fits[GROWTH_METHODS], h1, h2;
	size_t n = in->nsamples, i, half = n / 2;
	double window, growth, best_rss = INFINITY, tol;
	size_t min_samples = in->min_samples ? in->min_samples : 6;
	double min_req = in->min_requests > 0 ? in->min_requests : 100;
	struct fitin fi;
	int m;

	memset(f, 0, sizeof(*f));
	memset(fits, 0, sizeof(fits));
	f->method = -1;
	f->also = -1;
	f->cls = GROWTH_INSUFFICIENT;
	if (n < min_samples || n > GROWTH_MAX_SAMPLES)
		return;
	for (i = 0; i < n; i++)
		z[i] = in->samples[i].inflight;
	memset(&fi, 0, sizeof(fi));
	fi.y = bytes;
	fi.z = z;
	fi.to = n;
	fi.granularity = in->granularity;
	/* in flight constant (steady rate): a count alone */
	fi.use_z = spread(z, n) > 0.5;
	for (m = 0; m < GROWTH_METHODS; m++) {
		for (i = 0; i < n; i++)
			xs[m][i] = in->samples[i].requests[m];
		if (xs[m][n - 1] - xs[m][0] < min_req)
			continue;
		fi.x = xs[m];
		irls(&fi, &fits[m]);
		if (fits[m].ok && fits[m].rss < best_rss) {
			best_rss = fits[m].rss;
			f->method = m;
		}
	}
	if (f->method < 0)
		return;
	tol = best_rss * 1.1 + in->granularity * in->granularity;
	/* the last count, "the rest", follows every call's ACK and BYE: a
	 * named method that fits as well is the better name */
	for (m = 0; m < GROWTH_METHODS - 1; m++)
		if (f->method == GROWTH_METHODS - 1 && rss_ok(fits, m, tol)) {
			f->method = m;
			break;
		}
	/* named counts that grew in step cannot be told apart: say both
	 * (as well fitting, or the two counts nearly one line: a steady
	 * mix of calls and registrations) */
	for (m = 0; m < GROWTH_METHODS - 1; m++)
		if (m != f->method && fits[m].ok && (rss_ok(fits, m, tol) ||
		    correlation(xs[m], xs[f->method], n) > GROWTH_IN_STEP) &&
		    (f->also < 0 || fits[m].rss < fits[f->also].rss))
			f->also = m;
	best = fits[f->method];
	f->level = median_abs(bytes, half ? half : 1);
	f->a = best.a;
	f->b = best.b;
	f->c = best.c;
	f->se_b = best.se_b;
	fi.x = xs[f->method];
	fi.to = half;
	irls(&fi, &h1);
	fi.from = half;
	fi.to = n;
	irls(&fi, &h2);
	f->first_b = h1.ok ? h1.b : f->b;
	f->last_b = h2.ok ? h2.b : f->b;
	fi.from = 0;		/* the whole window again */
	growth = f->b * (xs[f->method][n - 1] - xs[f->method][0]);
	window = in->samples[n - 1].t - in->samples[0].t;
	if (f->b > GROWTH_SIGMAS * f->se_b && growth > in->granularity &&
	    rises(bytes, n) < GROWTH_MIN_RISES) {
		/* grew once or twice (one allocation made in the window): a
		 * step, not memory that follows the requests; what it adds
		 * per request is in the sensitivity bound */
		f->cls = GROWTH_FLAT;
	} else if (f->b > GROWTH_SIGMAS * f->se_b && growth > in->granularity) {
		/* the fragments' fit only where the bytes could be drift */
		if (growth <= GROWTH_DRIFT_SHARE * f->level &&
		    !(site->counts != NULL && adds_fragments(&fi,
		    site->counts, f)) && !grows_in_place(&fi, f, growth))
			f->cls = GROWTH_DRIFT;
		else if (load_ramps(xs[f->method], z, n))
			f->cls = GROWTH_RAMP;
		else if (f->first_b > 0 && f->last_b < GROWTH_LEVELS * f->first_b)
			f->cls = GROWTH_WARMUP;
		else if (in->timer_s > 0 && window < 2 * in->timer_s)
			f->cls = GROWTH_TIMER;
		else
			f->cls = GROWTH_LEAK;
	} else if (fi.use_z && best.c > GROWTH_SIGMAS * best.se_c &&
	    best.c * spread(z, n) > in->granularity)
		f->cls = GROWTH_LOAD;
	else
		f->cls = GROWTH_FLAT;
}

static int
busiest(const struct growth_input *in)
{
	const struct growth_sample *a = &in->samples[0],
	    *z = &in->samples[in->nsamples - 1];
	int m, best = -1;
	double most = 0;

	/* a named method before the rest (every call's ACK and BYE) */
	for (m = 0; m < GROWTH_METHODS - 1; m++)
		if (z->requests[m] - a->requests[m] > most) {
			most = z->requests[m] - a->requests[m];
			best = m;
		}
	if (best < 0 && z->requests[m] - a->requests[m] > 0)
		best = m;
	return best;
}

static int
cmp_suspect(const void *a, const void *b)
{
	const struct growth_suspect *x = a, *y = b;

	return x->bytes_per_request < y->bytes_per_request ? 1 :
	    x->bytes_per_request > y->bytes_per_request ? -1 : 0;
}

void
growth_judge(const struct growth_input *in, struct growth_result *res)
{
	const struct growth_sample *s0, *s1;
	struct growth_suspect all[GROWTH_MAX_SUSPECTS * 4];
	struct growth_fit f;
	size_t i, nall = 0, ntimer = 0, nramp = 0;
	double window, per_s = 0, sens = 0, ramp_b = 0;
	const char *timer_site = NULL, *ramp_site = NULL;
	int m, n;

	memset(res, 0, sizeof(*res));
	res->verdict = GROWTH_INSUFFICIENT;
	res->method = -1;
	res->seconds_to_full = -1;
	if (in->nsamples < 2) {
		snprintf(res->reason, sizeof(res->reason), "%zu sample%s: "
		    "nothing to compare", in->nsamples, in->nsamples == 1 ?
		    "" : "s");
		return;
	}
	s0 = &in->samples[0];
	s1 = &in->samples[in->nsamples - 1];
	window = s1->t - s0->t;
	if ((m = busiest(in)) < 0) {
		snprintf(res->reason, sizeof(res->reason), "no request reached "
		    "the proxy in %.0f s: its users' traffic is the test "
		    "load, and there was none", window);
		return;
	}
	res->method = m;
	res->requests = s1->requests[m] - s0->requests[m];
	res->rate = window > 0 ? res->requests / window : 0;
	for (i = 0; i < in->nsites; i++) {
		growth_fit_site(in, &in->sites[i], &f);
		if (f.cls == GROWTH_INSUFFICIENT) {
			snprintf(res->reason, sizeof(res->reason), "%.0f %ss in "
			    "%.0f s over %zu samples: too few to judge from "
			    "(at least %.0f requests and %zu samples)",
			    res->requests, in->methods[m], window,
			    in->nsamples, in->min_requests > 0 ?
			    in->min_requests : 100, in->min_samples ?
			    in->min_samples : 6);
			return;
		}
		if (f.cls == GROWTH_DRIFT && f.b > res->drift) {
			res->drift = f.b;
			res->drift_site = in->sites[i].name;
			res->drift_method = f.method;
		}
		/* what grew, drift included: the bound claims no more */
		if (f.method == m) {
			double bound = (f.b > 0 ? f.b : 0) +
			    GROWTH_SIGMAS * f.se_b;

			sens = bound > sens ? bound : sens;
		}
		if (f.cls == GROWTH_TIMER && timer_site == NULL)
			timer_site = in->sites[i].name;
		if (f.cls == GROWTH_RAMP && f.b > ramp_b) {
			ramp_b = f.b;
			ramp_site = in->sites[i].name;
		}
		nramp += f.cls == GROWTH_RAMP;
		ntimer += f.cls == GROWTH_TIMER;
		if (f.cls != GROWTH_LEAK ||
		    nall == sizeof(all) / sizeof(all[0]))
			continue;
		all[nall].name = in->sites[i].name;
		all[nall].method = f.method;
		all[nall].also = f.also;
		all[nall].bytes_per_request = f.b;
		all[nall].se = f.se_b;
		nall++;
	}
	res->sensitivity = sens;
	if (nall > 0) {
		qsort(all, nall, sizeof(all[0]), cmp_suspect);
		res->nsuspects = nall < GROWTH_MAX_SUSPECTS ? nall :
		    GROWTH_MAX_SUSPECTS;
		memcpy(res->suspects, all, res->nsuspects * sizeof(all[0]));
		for (i = 0; i < nall; i++) {
			int mm = all[i].method;

			per_s += all[i].bytes_per_request * (window > 0 ?
			    (s1->requests[mm] - s0->requests[mm]) / window : 0);
		}
		if (in->pool_size > 0 && per_s > 0 && s1->pool_used > 0)
			res->seconds_to_full = (in->pool_size -
			    s1->pool_used) / per_s;
		res->verdict = GROWTH_LEAK;
		snprintf(res->reason, sizeof(res->reason), "%s grows %.1f "
		    "bytes per %s (+/- %.1f) over %.0f %ss in %.0f s%s%s%s%s",
		    res->suspects[0].name, res->suspects[0].bytes_per_request,
		    in->methods[res->suspects[0].method], res->suspects[0].se,
		    s1->requests[res->suspects[0].method] -
		    s0->requests[res->suspects[0].method],
		    in->methods[res->suspects[0].method], window,
		    res->suspects[0].also >= 0 ? " (or per " : "",
		    res->suspects[0].also >= 0 ?
		    in->methods[res->suspects[0].also] : "",
		    res->suspects[0].also >= 0 ? ": the two counts grew in "
		    "step)" : "", nall > 1 ? ", with other sites" : "");
		return;
	}
	if (nramp > 0) {
		res->verdict = GROWTH_WARMUP;
		res->inflight_from = s0->inflight;
		res->inflight_to = s1->inflight;
		snprintf(res->reason, sizeof(res->reason), "%s grew %.1f bytes "
		    "per %s in %.0f s while the transactions in flight rose in "
		    "step with the requests (%.0f to %.0f): memory that follows "
		    "them cannot be told from a leak until the traffic is "
		    "steady; observe again once it is", ramp_site, ramp_b,
		    in->methods[m], window, s0->inflight, s1->inflight);
		return;
	}
	if (ntimer > 0) {
		res->verdict = GROWTH_TIMER;
		snprintf(res->reason, sizeof(res->reason), "%s grew with the "
		    "%ss in %.0f s, but a timer the configuration declares "
		    "(%.0f s) may still free it: observe for at least %.0f s",
		    timer_site, in->methods[m], window, in->timer_s,
		    2 * in->timer_s);
		return;
	}
	res->verdict = GROWTH_FLAT;
	n = snprintf(res->reason, sizeof(res->reason), "no site grew by more "
	    "than %.1f bytes per %s over %.0f %ss in %.0f s", sens,
	    in->methods[m], res->requests, in->methods[m], window);
	if (res->drift_site != NULL && n > 0 && (size_t)n < sizeof(res->reason))
		snprintf(res->reason + n, sizeof(res->reason) - (size_t)n,
		    "; %s drifted %.1f bytes per %s without new fragments "
		    "(the sizes of what is in flight vary)", res->drift_site,
		    res->drift, in->methods[res->drift_method]);
}
