/*
 * ctl_history.h — `pmmctl history`: what the metrics CSV files say
 * happened over a time window (trades, volume, average prices, fees,
 * PnL, max |position|, time paused and why, restarts).
 *
 * Pure: the caller reads the files and feeds their bytes; records are
 * RFC 4180 (docs/METRICS.md), possibly split across feeds. A record that
 * is not one of ours (wrong field count, bad timestamp or number, a row a
 * logger marked "torn row repaired") is skipped and counted, never fatal.
 */
#ifndef PMM_CTL_HISTORY_H
#define PMM_CTL_HISTORY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* The columns of a record (docs/METRICS.md). */
enum { CHIST_TS, CHIST_INST, CHIST_ENV, CHIST_METRIC, CHIST_VALUE,
	CHIST_UNIT, CHIST_SYMBOL, CHIST_SIDE, CHIST_LEVEL, CHIST_SUB,
	CHIST_DETAILS };

#define CHIST_NCOLS		11	/* fields of a record */
#define CHIST_FMAX		512	/* longer fields are cut (details only) */
#define CHIST_REASONS		8
#define CHIST_REASON_LEN		96
/* A gap between strategy_paused samples longer than this (the tree was
 * down) is not counted as paused time. */
#define CHIST_SAMPLE_GAP_NS	(5LL * 1000 * 1000 * 1000)

struct chist_reason {
	char		text[CHIST_REASON_LEN];
	int64_t		ns;		/* paused for this reason */
};

struct chist {
	/* the window (realtime ns, 0 = open) and the instance (""= any) */
	int64_t		since_ns, until_ns;
	char		instance[64];

	uint64_t	records, skipped, other_instance;
	int64_t		first_ns, last_ns;	/* of the rows in the window */
	uint64_t	buys, sells, maker, fee_other;
	double		buy_qty, sell_qty, buy_quote, sell_quote;
	double		fees, realized;
	int		have_funding;
	double		funding;
	int		have_pos, have_unreal;
	double		max_abs_pos, last_unreal;
	uint64_t	restarts, pauses;
	int64_t		paused_ns;
	struct chist_reason reasons[CHIST_REASONS];
	int		nreasons;
	/* the date-hour and offset of the last timestamp read, and its
	 * realtime ns at minute 0 (0: none yet) */
	char		ts_key[20];
	int64_t		ts_base;
	/* the last strategy_paused sample seen */
	int64_t		ps_ts;
	int		ps_on;
	char		ps_why[CHIST_REASON_LEN];
};

void	chist_init(struct chist *h, int64_t since_ns, int64_t until_ns,
	    const char *instance);
/*
 * Feed bytes of one file; whole records are used, the rest (a record
 * not ended yet) is left: returns how many bytes were consumed. At the
 * end of a file call chist_feed_end with what is left (a torn last line).
 */
size_t	chist_feed(struct chist *h, const char *buf, size_t len);
void	chist_feed_end(struct chist *h, const char *buf, size_t len);
/* One record (without its line end); public for tests. */
void	chist_record(struct chist *h, const char *rec, size_t len);
/*
 * The same for a caller that looks at more of a record (ctl_report.c):
 * 1 when it is ours and in the window (summed), with its fields in f and
 * its time in *ts; 0 when it was left out or skipped.
 */
int	chist_take(struct chist *h, const char *rec, size_t len,
	    char f[][CHIST_FMAX], int64_t *ts);
/*
 * The record splitter under chist_feed: calls rec() for each whole record
 * of buf and returns how many bytes were used (see chist_feed).
 */
size_t	chist_scan(const char *buf, size_t len,
	    void (*rec)(void *arg, const char *rec, size_t len), void *arg);
/* "key=value" in a details field, as a number: 0, or -1 if absent. */
int	chist_detail(const char *details, const char *key, double *v);
/*
 * What `pmmctl history --json` prints: the sums of h as figures (net PnL,
 * averages, return on capital when capital > 0), nfiles files read.
 */
json_t	*chist_json(const struct chist *h, double capital, int nfiles);

/* "2026-12-06T08:12:25.272+01:00" -> realtime ns; -1 if not that. */
int64_t	chist_parse_ts(const char *s);
/*
 * --since/--until: "90s", "30m", "1h", "2d" before now; or a local date
 * or date-time "2026-12-06", "2026-12-06T08:00[:00]", "2026-12-06 08:00".
 * 0 with *out set, -1 if it is neither.
 */
int	chist_parse_when(const char *s, int64_t now_ns, int64_t *out);
/* Is a file named metrics-YYYYMMDD.csv for a day that may hold rows of
 * the window (its local date +- 1 day)? */
int	chist_file_wanted(const struct chist *h, const char *name);

#endif
