/*
 * ctl_history.c — `pmmctl history`'s reading and sums of the metrics CSV
 * (see ctl_history.h). No I/O and no clock: pmmctl reads the files and
 * passes now.
 */
#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl_history.h"

#define F_TS		CHIST_TS
#define F_INST		CHIST_INST
#define F_METRIC	CHIST_METRIC
#define F_VALUE		CHIST_VALUE
#define F_SYMBOL	CHIST_SYMBOL
#define F_SIDE		CHIST_SIDE
#define F_SUB		CHIST_SUB
#define F_DETAILS	CHIST_DETAILS

void
chist_init(struct chist *h, int64_t since_ns, int64_t until_ns,
    const char *instance)
{
	memset(h, 0, sizeof(*h));
	h->since_ns = since_ns;
	h->until_ns = until_ns;
	snprintf(h->instance, sizeof(h->instance), "%s", instance ? instance :
	    "");
}

/*
 * Split one record into fields (RFC 4180); -1 on a broken quote. An
 * unquoted field (nearly all of ours) is found with one scan and copied
 * whole: this is the hot loop of a day's history.
 */
static int
chist_split(const char *rec, size_t len, char f[][CHIST_FMAX], int max)
{
	size_t i = 0, j, n;
	int nf = 0, q;

	for (;;) {
		if (nf == max)
			return -1;
		n = 0;
		q = i < len && rec[i] == '"';
		if (!q) {
			for (j = i; j < len && rec[j] != ',' && rec[j] != '"'; j++)
				;
			if (j < len && rec[j] == '"')
				return -1;
			n = j - i < CHIST_FMAX - 1 ? j - i : CHIST_FMAX - 1;
			memcpy(f[nf], rec + i, n);
			i = j;
		} else {
			for (i++; i < len; i++) {
				if (rec[i] == '"') {
					if (i + 1 < len && rec[i + 1] == '"')
						i++;
					else {
						q = 2;
						break;
					}
				}
				if (n < CHIST_FMAX - 1)
					f[nf][n++] = rec[i];
			}
			if (q == 1)		/* quote never closed */
				return -1;
			i++;			/* the closing quote */
		}
		f[nf++][n] = '\0';
		if (i >= len)
			return nf;
		if (rec[i] != ',')
			return -1;	/* text after a closing quote */
		i++;
	}
}

/* A whole number field; -1 if not that. */
static int
chist_digits(const char *s, int n, int *out)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int64_t
chist_parse_ts(const char *s)
{
	int y, mo, d, hh, mi, ss, ms, oh, om, sign;
	struct tm tm;
	time_t t;

	if (strlen(s) != 29 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':' || s[19] != '.' ||
	    (s[23] != '+' && s[23] != '-') || s[26] != ':' ||
	    chist_digits(s, 4, &y) || chist_digits(s + 5, 2, &mo) ||
	    chist_digits(s + 8, 2, &d) || chist_digits(s + 11, 2, &hh) ||
	    chist_digits(s + 14, 2, &mi) || chist_digits(s + 17, 2, &ss) ||
	    chist_digits(s + 20, 3, &ms) || chist_digits(s + 24, 2, &oh) ||
	    chist_digits(s + 27, 2, &om) || mo < 1 || mo > 12 || d < 1 ||
	    d > 31 || hh > 23 || mi > 59 || ss > 60)
		return -1;
	sign = s[23] == '-' ? -1 : 1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = hh;
	tm.tm_min = mi;
	tm.tm_sec = ss;
	t = timegm(&tm) - sign * (oh * 3600 + om * 60);
	return (int64_t)t * 1000000000LL + (int64_t)ms * 1000000LL;
}

/*
 * chist_parse_ts with the date, hour and offset of the last one kept: the
 * rows of an hour share them, and timegm() is most of a row's parse.
 */
static int64_t
chist_ts(struct chist *h, const char *s)
{
	int mi, ss, ms;
	int64_t t;

	if (strlen(s) != 29 || s[13] != ':' || s[16] != ':' || s[19] != '.' ||
	    chist_digits(s + 14, 2, &mi) || chist_digits(s + 17, 2, &ss) ||
	    chist_digits(s + 20, 3, &ms) || mi > 59 || ss > 60)
		return -1;
	if (h->ts_base != 0 && memcmp(s, h->ts_key, 13) == 0 &&
	    memcmp(s + 23, h->ts_key + 13, 6) == 0)
		return h->ts_base + ((int64_t)mi * 60 + ss) * 1000000000LL +
		    (int64_t)ms * 1000000LL;
	if ((t = chist_parse_ts(s)) < 0)
		return -1;
	memcpy(h->ts_key, s, 13);
	memcpy(h->ts_key + 13, s + 23, 6);
	h->ts_base = t - ((int64_t)mi * 60 + ss) * 1000000000LL -
	    (int64_t)ms * 1000000LL;
	return t;
}

/* A finite number filling the whole field; -1 if not that. */
static int
chist_num(const char *s, double *v)
{
	char *end;

	if (*s == '\0')
		return -1;
	*v = strtod(s, &end);
	return *end == '\0' && isfinite(*v) ? 0 : -1;
}

int
chist_detail(const char *details, const char *key, double *v)
{
	size_t kl = strlen(key);
	const char *p = details;
	char *end;

	while ((p = strstr(p, key)) != NULL) {
		if ((p == details || p[-1] == ' ') && p[kl] == '=') {
			*v = strtod(p + kl + 1, &end);
			return end != p + kl + 1 && isfinite(*v) ? 0 : -1;
		}
		p += kl;
	}
	return -1;
}

static int
chist_fill(struct chist *h, char f[][CHIST_FMAX])
{
	double qty, price, fee, rp;
	const char *asset;
	size_t al, sl = strlen(f[F_SYMBOL]);

	if (chist_num(f[F_VALUE], &qty) == -1 ||
	    chist_detail(f[F_DETAILS], "price", &price) == -1 ||
	    (strcmp(f[F_SIDE], "BUY") != 0 && strcmp(f[F_SIDE], "SELL") != 0))
		return -1;
	if (f[F_SIDE][0] == 'B') {
		h->buys++;
		h->buy_qty += qty;
		h->buy_quote += qty * price;
	} else {
		h->sells++;
		h->sell_qty += qty;
		h->sell_quote += qty * price;
	}
	if (strcmp(f[F_SUB], "maker") == 0)
		h->maker++;
	/* "fee=0.024 USDT": a fee in the quote asset, else counted apart */
	if (chist_detail(f[F_DETAILS], "fee", &fee) == 0) {
		asset = strstr(f[F_DETAILS], " fee=");
		asset = asset ? strchr(asset + 5, ' ') : NULL;
		al = asset ? strcspn(asset + 1, " ") : 0;
		if (fee == 0 || (al > 0 && al <= sl && strncmp(f[F_SYMBOL] +
		    sl - al, asset + 1, al) == 0))
			h->fees += fee;
		else
			h->fee_other++;
	}
	if (chist_detail(f[F_DETAILS], "realized_pnl", &rp) == 0)
		h->realized += rp;
	return 0;
}

/*
 * Time paused, per reason: from one strategy_paused sample to the next
 * (one row a second; sub_type says who: operator before risk).
 */
static void
chist_paused(struct chist *h, char f[][CHIST_FMAX], int64_t ts)
{
	int op = strcmp(f[F_SUB], "operator") == 0, i;
	int on = strcmp(f[F_VALUE], "1") == 0;
	int64_t dt = ts - h->ps_ts;

	if (h->ps_on && h->ps_ts != 0 && dt > 0 && dt <= CHIST_SAMPLE_GAP_NS) {
		h->paused_ns += dt;
		for (i = 0; i < h->nreasons; i++)
			if (strcmp(h->reasons[i].text, h->ps_why) == 0)
				break;
		if (i == h->nreasons && i < CHIST_REASONS)
			memcpy(h->reasons[h->nreasons++].text, h->ps_why,
			    CHIST_REASON_LEN);
		if (i < CHIST_REASONS)
			h->reasons[i].ns += dt;
	}
	if (on && !h->ps_on)
		h->pauses++;
	h->ps_on = on;
	h->ps_ts = ts;
	/* risk's reason carries figures that change every second: its
	 * cause ("position limit") is what groups them */
	snprintf(h->ps_why, CHIST_REASON_LEN, "%s%.*s", op ? "operator: " :
	    "risk: ", op ? (int)strlen(f[F_DETAILS]) :
	    (int)strcspn(f[F_DETAILS], ":"), f[F_DETAILS]);
}

void
chist_record(struct chist *h, const char *rec, size_t len)
{
	char f[CHIST_NCOLS + 1][CHIST_FMAX];
	int64_t ts;

	chist_take(h, rec, len, f, &ts);
}

int
chist_take(struct chist *h, const char *rec, size_t len,
    char f[][CHIST_FMAX], int64_t *tsp)
{
	int64_t ts;
	double v;
	int nf;

	if (len > 0 && rec[len - 1] == '\r')
		len--;
	if (len == 0)
		return 0;
	h->records++;
	nf = chist_split(rec, len, f, CHIST_NCOLS + 1);
	if (nf == CHIST_NCOLS && strcmp(f[F_TS], "timestamp") == 0) {
		h->records--;		/* a header */
		return 0;
	}
	if (nf != CHIST_NCOLS || (ts = chist_ts(h, f[F_TS])) < 0 ||
	    strcmp(f[F_DETAILS], "torn row repaired") == 0) {
		h->skipped++;
		return 0;
	}
	if (h->instance[0] != '\0' && strcmp(f[F_INST], h->instance) != 0) {
		h->other_instance++;
		return 0;
	}
	if ((h->since_ns != 0 && ts < h->since_ns) ||
	    (h->until_ns != 0 && ts >= h->until_ns))
		return 0;
	*tsp = ts;
	if (h->first_ns == 0 || ts < h->first_ns)
		h->first_ns = ts;
	if (ts > h->last_ns)
		h->last_ns = ts;
	if (strcmp(f[F_METRIC], "fill") == 0) {
		if (chist_fill(h, f) == -1) {
			h->skipped++;
			return 0;
		}
	} else if (strcmp(f[F_METRIC], "position") == 0) {
		if (chist_num(f[F_VALUE], &v) == 0) {
			h->have_pos = 1;
			if (fabs(v) > h->max_abs_pos)
				h->max_abs_pos = fabs(v);
		}
	} else if (strcmp(f[F_METRIC], "unrealized_pnl") == 0) {
		if (chist_num(f[F_VALUE], &v) == 0) {
			h->have_unreal = 1;
			h->last_unreal = v;
		}
	} else if (strcmp(f[F_METRIC], "funding_fee") == 0) {
		if (chist_num(f[F_VALUE], &v) == 0) {
			h->have_funding = 1;
			h->funding += v;
		}
	} else if (strcmp(f[F_METRIC], "service_event") == 0) {
		/* a stop's exits are "status=0": only deaths restart */
		if (strcmp(f[F_SUB], "died") == 0 &&
		    strstr(f[F_DETAILS], " status=0 ") == NULL)
			h->restarts++;
	} else if (strcmp(f[F_METRIC], "strategy_paused") == 0)
		chist_paused(h, f, ts);
	return 1;
}

/* The timestamp of a row starting at p (29 bytes), -1 if none. */
static int64_t
chist_ts_at(const char *p)
{
	char ts[30];

	memcpy(ts, p, 29);
	ts[29] = '\0';
	return chist_parse_ts(ts);
}

static void
chist_rec_cb(void *arg, const char *rec, size_t len)
{
	chist_record(arg, rec, len);
}

size_t
chist_feed(struct chist *h, const char *buf, size_t len)
{
	return chist_scan(buf, len, chist_rec_cb, h);
}

size_t
chist_scan(const char *buf, size_t len,
    void (*rec)(void *arg, const char *rec, size_t len), void *arg)
{
	const char *nl, *p;
	size_t start = 0, i = 0, e;
	int q = 0;

	/* line by line (memchr), each quote of a line toggling q */
	while (i < len && (nl = memchr(buf + i, '\n', len - i)) != NULL) {
		e = (size_t)(nl - buf);
		for (p = buf + i; (p = memchr(p, '"', e - (size_t)(p - buf))) !=
		    NULL; p++)
			q = !q;
		if (!q || (len - e > 30 && buf[e + 30] == ',' &&
		    chist_ts_at(buf + e + 1) >= 0)) {
			/* a quote never closed (a foreign line) ends where
			 * the next row begins, not at the end of the file */
			q = 0;
			rec(arg, buf + start, e - start);
			start = e + 1;
		}
		i = e + 1;
	}
	return start;
}

void
chist_feed_end(struct chist *h, const char *buf, size_t len)
{
	if (len > 0) {		/* no line end: a torn last record */
		h->records++;
		h->skipped++;
	}
	(void)buf;
}

/* "2026-12-06", "2026-12-06T08:00", "2026-12-06 08:00:30": local time. */
static int
chist_parse_date(const char *s, int64_t *out)
{
	struct tm tm;
	const char *e;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if ((e = strptime(s, "%Y-%m-%d", &tm)) == NULL)
		return -1;
	if (*e == 'T' || *e == ' ') {
		const char *e2 = strptime(e + 1, "%H:%M:%S", &tm);

		if (e2 == NULL)
			e2 = strptime(e + 1, "%H:%M", &tm);
		if (e2 == NULL)
			return -1;
		e = e2;
	}
	if (*e != '\0')
		return -1;
	tm.tm_isdst = -1;
	if ((t = mktime(&tm)) == (time_t)-1)
		return -1;
	*out = (int64_t)t * 1000000000LL;
	return 0;
}

int
chist_parse_when(const char *s, int64_t now_ns, int64_t *out)
{
	char *end;
	double v = strtod(s, &end);
	int64_t unit = 0;

	if (end != s && isfinite(v) && v >= 0 && end[0] != '\0' &&
	    end[1] == '\0' && s[0] != '-') {
		switch (*end) {
		case 's': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		case 'd': unit = 86400; break;
		}
		if (unit != 0 && v * unit < 1e8) {
			*out = now_ns - (int64_t)(v * unit * 1e9);
			return 0;
		}
	}
	return chist_parse_date(s, out);
}

int
chist_file_wanted(const struct chist *h, const char *name)
{
	int y, m, d;
	struct tm tm;
	int64_t day;

	if (strncmp(name, "metrics-", 8) != 0 || strlen(name) != 20 ||
	    strcmp(name + 16, ".csv") != 0 || chist_digits(name + 8, 4, &y) ||
	    chist_digits(name + 12, 2, &m) || chist_digits(name + 14, 2, &d))
		return 0;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	/* the file's day in UTC; a local day is within a day of it */
	day = (int64_t)timegm(&tm) * 1000000000LL;
	if (h->since_ns != 0 && day + 2 * 86400 * 1000000000LL < h->since_ns)
		return 0;
	if (h->until_ns != 0 && day - 86400 * 1000000000LL > h->until_ns)
		return 0;
	return 1;
}

json_t *
chist_json(const struct chist *h, double capital, int nfiles)
{
	uint64_t n = h->buys + h->sells;
	double net = h->realized - h->fees + (h->have_funding ? h->funding : 0) +
	    (h->have_unreal ? h->last_unreal : 0);
	json_t *o, *why = json_array();
	int i;

	for (i = 0; i < h->nreasons; i++)
		json_array_append_new(why, json_pack("{s:s, s:f}", "reason",
		    h->reasons[i].text, "seconds", h->reasons[i].ns / 1e9));
#define NUM(v, ok) ((ok) ? json_real(v) : json_null())
	o = json_pack("{s:b, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f, "
	    "s:f, s:o, s:o, s:f, s:I, s:o, s:f}",
	    "ok", 1, "files", nfiles,
	    "records", (json_int_t)h->records,
	    "skipped", (json_int_t)h->skipped,
	    "trades", (json_int_t)n,
	    "buys", (json_int_t)h->buys,
	    "sells", (json_int_t)h->sells,
	    "maker", (json_int_t)h->maker,
	    "buy_qty", h->buy_qty, "sell_qty", h->sell_qty,
	    "volume_quote", h->buy_quote + h->sell_quote,
	    "avg_buy_price", NUM(h->buy_quote / h->buy_qty, h->buy_qty > 0),
	    "avg_sell_price", NUM(h->sell_quote / h->sell_qty, h->sell_qty > 0),
	    "fees", h->fees, "fees_other_asset", (json_int_t)h->fee_other,
	    "funding", NUM(h->funding, h->have_funding),
	    "realized_pnl", h->realized);
	json_object_set_new(o, "unrealized_pnl", NUM(h->last_unreal,
	    h->have_unreal));
	json_object_set_new(o, "net_pnl", json_real(net));
	json_object_set_new(o, "initial_capital", NUM(capital, capital > 0));
	json_object_set_new(o, "return_pct", NUM(net / capital * 100,
	    capital > 0));
	json_object_set_new(o, "max_abs_position", NUM(h->max_abs_pos,
	    h->have_pos));
	json_object_set_new(o, "pauses", json_integer((json_int_t)h->pauses));
	json_object_set_new(o, "paused_s", json_real(h->paused_ns / 1e9));
	json_object_set_new(o, "pause_reasons", why);
	json_object_set_new(o, "restarts", json_integer(
	    (json_int_t)h->restarts));
	json_object_set_new(o, "other_instances", json_integer(
	    (json_int_t)h->other_instance));
	json_object_set_new(o, "first_ns", h->first_ns ?
	    json_integer(h->first_ns) : json_null());
	json_object_set_new(o, "last_ns", h->last_ns ?
	    json_integer(h->last_ns) : json_null());
#undef NUM
	return o;
}
