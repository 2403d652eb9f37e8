/*
 * bt_lat.c — the backtest's latency model (see bt_lat.h): constants, a
 * measured distribution drawn with the sim's seeded PRNG, and the feed
 * latency recovered from a recording's own two clocks.
 */
#include "bt_lat.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_MS_D	1e6

void
bt_lat_defaults(struct bt_lat_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->entry_ms = 1;
	o->response_ms = 1;
	o->feed_recorded = true;
	o->feed_ms = 1;
	o->seed = 1;
}

static int
bt_lat_ms(const char *s, size_t n, double *out)
{
	char buf[64], *end;
	double v;

	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	errno = 0;
	v = strtod(buf, &end);
	if (errno != 0 || *end != '\0' || !isfinite(v) || v < 0 ||
	    v > BT_LAT_MAX_MS)
		return -1;
	*out = v;
	return 0;
}

int
bt_lat_parse(struct bt_lat_opts *o, const char *spec, char *err,
    size_t errlen)
{
	const char *p = spec, *comma, *eq;
	size_t klen, vlen;

	while (*p != '\0') {
		comma = strchr(p, ',');
		if (comma == NULL)
			comma = p + strlen(p);
		eq = memchr(p, '=', (size_t)(comma - p));
		if (eq == NULL)
			goto bad;
		klen = (size_t)(eq - p);
		vlen = (size_t)(comma - eq - 1);
		if (klen == 5 && strncmp(p, "entry", 5) == 0) {
			if (bt_lat_ms(eq + 1, vlen, &o->entry_ms) == -1)
				goto bad;
		} else if (klen == 8 && strncmp(p, "response", 8) == 0) {
			if (bt_lat_ms(eq + 1, vlen, &o->response_ms) == -1)
				goto bad;
		} else if (klen == 4 && strncmp(p, "feed", 4) == 0) {
			if (vlen == 8 && strncmp(eq + 1, "recorded", 8) == 0)
				o->feed_recorded = true;
			else if (bt_lat_ms(eq + 1, vlen, &o->feed_ms) == 0)
				o->feed_recorded = false;
			else
				goto bad;
		} else
			goto bad;
		p = *comma ? comma + 1 : comma;
	}
	return 0;
bad:
	snprintf(err, errlen, "--latency: bad value '%s' (valid: entry=MS,"
	    "response=MS,feed=recorded|MS, each 0 to %g ms)", spec,
	    BT_LAT_MAX_MS);
	return -1;
}

static int
bt_lat_push(struct bt_lat *l, size_t *cap, double e, double r)
{
	if (l->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 1024;
		double *ne = realloc(l->entry, ncap * sizeof(*ne)), *nr;

		if (ne == NULL)
			return -1;
		l->entry = ne;
		if ((nr = realloc(l->resp, ncap * sizeof(*nr))) == NULL)
			return -1;
		l->resp = nr;
		*cap = ncap;
	}
	l->entry[l->n] = e;
	l->resp[l->n] = r;
	l->n++;
	return 0;
}

/* One line: "ENTRY RESPONSE" or "RTT"; 1 = a value, 0 = blank, -1 bad. */
static int
bt_lat_line(char *s, double *e, double *r)
{
	char *hash = strchr(s, '#'), *end;
	double a, b;

	if (hash != NULL)
		*hash = '\0';
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0' || *s == '\n' || *s == '\r')
		return 0;
	errno = 0;
	a = strtod(s, &end);
	if (errno != 0 || end == s || !isfinite(a) || a < 0 ||
	    a > BT_LAT_MAX_MS)
		return -1;
	s = end;
	while (*s == ' ' || *s == '\t' || *s == ',')
		s++;
	if (*s == '\0' || *s == '\n' || *s == '\r') {
		*e = *r = a / 2;
		return 1;
	}
	b = strtod(s, &end);
	if (errno != 0 || end == s || !isfinite(b) || b < 0 ||
	    b > BT_LAT_MAX_MS)
		return -1;
	while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
		end++;
	if (*end != '\0')
		return -1;
	*e = a;
	*r = b;
	return 1;
}

/*
 * A row of the live logger's metrics CSV: the order_rtt_ms value (the
 * order service's last REST round trip, sampled every second), split half
 * each way. 1 = a value, 0 = another row. The fields before the value
 * (timestamp, instance, env, metric) never hold a comma.
 */
static int
bt_lat_csv_row(const char *s, double *e, double *r)
{
	const char *f = s, *end;
	char *num_end;
	double v;
	int i;

	for (i = 0; i < 3; i++)
		if ((f = strchr(f, ',')) == NULL)
			return 0;
		else
			f++;
	if (strncmp(f, "order_rtt_ms,", 13) != 0)
		return 0;
	f += 13;
	if ((end = strchr(f, ',')) == NULL || end == f)
		return 0;	/* no data yet */
	v = strtod(f, &num_end);
	if (num_end != end || !isfinite(v) || v < 0 || v > BT_LAT_MAX_MS)
		return 0;
	*e = *r = v / 2;
	return 1;
}

static int
bt_lat_load(struct bt_lat *l, const char *path, char *err, size_t errlen)
{
	char line[256], skip[256];
	bool csv = false;
	size_t cap = 0;
	int lineno = 0, rc;
	double e, r;
	FILE *fp = fopen(path, "r");

	if (fp == NULL) {
		snprintf(err, errlen, "--latency-file %s: %s", path,
		    strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		if (lineno == 1 && strncmp(line, "timestamp,instance_id,env,"
		    "metric_name,", 38) == 0)
			csv = true;
		if (csv) {
			/* a long details field: skip the rest of the line */
			while (strchr(line, '\n') == NULL &&
			    fgets(skip, sizeof(skip), fp) != NULL &&
			    strchr(skip, '\n') == NULL)
				;
			if (bt_lat_csv_row(line, &e, &r) == 1 &&
			    bt_lat_push(l, &cap, e, r) == -1)
				goto nomem;
			continue;
		}
		rc = bt_lat_line(line, &e, &r);
		if (rc == 0)
			continue;
		if (rc == -1) {
			snprintf(err, errlen, "--latency-file %s:%d: not "
			    "'ENTRY_MS RESPONSE_MS' or 'RTT_MS' (each 0 to "
			    "%g)", path, lineno, BT_LAT_MAX_MS);
			fclose(fp);
			return -1;
		}
		if (bt_lat_push(l, &cap, e, r) == -1)
			goto nomem;
	}
	fclose(fp);
	if (l->n == 0) {
		snprintf(err, errlen, "--latency-file %s: no latencies in it%s",
		    path, csv ? " (no order_rtt_ms value)" : "");
		return -1;
	}
	return 0;
nomem:
	snprintf(err, errlen, "--latency-file %s: out of memory", path);
	fclose(fp);
	return -1;
}

int
bt_lat_init(struct bt_lat *l, const struct bt_lat_opts *o, char *err,
    size_t errlen)
{
	memset(l, 0, sizeof(*l));
	l->o = *o;
	rng_seed(&l->rng, o->seed ^ 0x6c6174656e6379ULL);	/* "latency" */
	if (o->file[0] != '\0' && bt_lat_load(l, o->file, err, errlen) == -1) {
		bt_lat_free(l);
		return -1;
	}
	return 0;
}

void
bt_lat_free(struct bt_lat *l)
{
	free(l->entry);
	free(l->resp);
	l->entry = l->resp = NULL;
	l->n = 0;
}

static size_t
bt_lat_pick(struct bt_lat *l)
{
	return (size_t)(rng_next(&l->rng) % l->n);
}

int64_t
bt_lat_entry(struct bt_lat *l)
{
	double ms = l->n > 0 ? l->entry[bt_lat_pick(l)] : l->o.entry_ms;

	return (int64_t)llround(ms * NS_PER_MS_D);
}

int64_t
bt_lat_response(struct bt_lat *l)
{
	double ms = l->n > 0 ? l->resp[bt_lat_pick(l)] : l->o.response_ms;

	return (int64_t)llround(ms * NS_PER_MS_D);
}

int64_t
bt_lat_feed(struct bt_lat *l, int64_t recv_ns, int64_t e_ms)
{
	int64_t d;

	if (!l->o.feed_recorded || recv_ns == 0 || e_ms == 0)
		return (int64_t)llround(l->o.feed_ms * NS_PER_MS_D);
	d = recv_ns - e_ms * 1000000;
	if (!l->have_off || d < l->off_ns) {
		l->have_off = true;
		l->off_ns = d;
	}
	return d - l->off_ns;
}
