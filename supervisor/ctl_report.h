/*
 * ctl_report.h — `pmmctl report`: PNG charts and an HTML page of what the
 * metrics CSV files say happened over a time window.
 *
 * THE ENTRY POINT for other programs (pmmctl, the backtester) is
 * rpt_make(): give it the CSV (a directory of metrics-YYYYMMDD.csv or a
 * list of files), an output directory, the window and, optionally, an
 * HTML fragment of your own (e.g. a backtest's summary); it writes
 *
 *	OUT/index.html		the page: time range, generated-at, the history
 *				table (the figures of `pmmctl history`), the
 *				charts, skipped lines, your fragment; inline
 *				CSS, no external resource
 *	OUT/mid.png		the mid, our quotes (bid/ask per level), our
 *				fills (buys ^, sells v)
 *	OUT/position.png	the position (base), +- the limit at the mark
 *	OUT/pnl.png		realized, unrealized, fees, net PnL
 *	OUT/<name>.dat,	the data and the gnuplot script behind them (a
 *	OUT/report.gp	series of more than RPT_MAX_POINTS is thinned to
 *			each time bucket's least and largest: no spike lost)
 *
 * A chart without data is left out and the page says so; a window without
 * a row gives a page that says so and no chart. Torn or foreign CSV lines
 * are skipped and counted (shown on the page). The page is built in a
 * temporary directory beside OUT and renamed into place: OUT is never
 * half-written. An OUT that exists must be empty or an earlier report (it
 * has a .pmm-report marker); it is replaced whole. gnuplot (Debian's
 * gnuplot-nox) runs as a child process, in the temporary directory.
 *
 * Link with the pmm_report library (supervisor/CMakeLists.txt), jansson.
 *
 * Inside: rpt_init/rpt_feed/rpt_finish and rpt_gnuplot/rpt_html/rpt_data
 * are pure (no I/O, no clock: now is an argument), tested in
 * tests/unit/check_ctl_report.c; rpt_make (ctl_report_make.c) is the I/O.
 */
#ifndef PMM_CTL_REPORT_H
#define PMM_CTL_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "ctl_history.h"
#include "text.h"

/* ---- the entry point ---------------------------------------------------- */

struct rpt_opts {
	const char	*dir;		/* CSV directory, or NULL ... */
	const char *const *files;	/* ... NULL-terminated list of files */
	const char	*out;		/* output directory (required) */
	int64_t		 since_ns;	/* realtime ns, 0 = open */
	int64_t		 until_ns;	/* realtime ns, 0 = open */
	const char	*instance;	/* rows of this instance only; NULL = all */
	double		 capital;	/* initial capital, for return %; 0 = n/a */
	double		 limit_quote;	/* position limit (notional); 0 = the
					   risk_action rows' limit=, if any */
	const char	*title;		/* NULL = "pmm report" */
	const char	*extra_html;	/* NULL, or a fragment put in the page
					   as is, after the table (trusted) */
	const char	*gnuplot;	/* NULL = "gnuplot" from PATH */
};

struct rpt_result {
	char		 index[4096];	/* OUT/index.html */
	uint64_t	 records, skipped;
	int		 files, charts;
	int		 empty;		/* no row in the window */
};

/*
 * Make the report; now_ns is the generated-at time. 0, or -1 with err
 * set (and nothing of OUT changed): out missing/unwritable, OUT an
 * unrelated directory, the CSV unreadable, gnuplot missing or failing.
 */
int	rpt_make(const struct rpt_opts *o, int64_t now_ns,
	    struct rpt_result *res, char *err, size_t errlen);

/* ---- the pure part -------------------------------------------------------- */

#define RPT_LEVELS	5	/* quote levels drawn per side */
#define RPT_MAX_POINTS	4000	/* a series drawn with more is thinned
				   (each time bucket's least and largest) */

/* A growable text; oom set once an allocation failed. */

struct rpt_pt {			/* one point of a series */
	int64_t		 t;		/* realtime ns */
	uint64_t	 seq;		/* arrival: ties keep file order */
	double		 v[5];
};

struct rpt_series {
	struct rpt_pt	*p;
	size_t		 n, cap;
};

struct rpt_quote {		/* one open_orders sample */
	int64_t		 t;
	double		 px[2][RPT_LEVELS];	/* [BUY, SELL][level-1], NaN */
};

struct rpt {
	struct chist	 h;		/* the history sums of the same rows */
	int		 utc_off_s;	/* of the window's first row */
	char		 symbol[32], env[16], inst[64];
	char		 quote[16], base[16];	/* the rows' units */
	struct rpt_series mid;		/* v0 mid */
	struct rpt_series fills;	/* v0 price, v1 qty, v2 1 buy / -1 sell */
	struct rpt_series pos;		/* v0 position, v1 limit in base
					   (rpt_finish), v2 mark then */
	struct rpt_series pnl;		/* fed: v0 realized, v2 fee, v3
					   funding (deltas), v1 unrealized;
					   rpt_finish: v0 realized, v1
					   unrealized, v2 fees, v3 funding
					   (sums), v4 net */
	struct rpt_quote *q;
	size_t		 nq, capq;
	uint64_t	 seq;
	int		 levels;	/* highest level seen, <= RPT_LEVELS */
	int		 have_off;
	double		 mark, mid_last, limit;	/* last seen; limit:
						   risk_action's */
	int		 oom;
};

void	rpt_init(struct rpt *r, int64_t since_ns, int64_t until_ns,
	    const char *instance);
void	rpt_free(struct rpt *r);
/* Like chist_feed/chist_feed_end (ctl_history.h), into both sums. */
size_t	rpt_feed(struct rpt *r, const char *buf, size_t len);
void	rpt_feed_end(struct rpt *r, const char *buf, size_t len);
void	rpt_record(struct rpt *r, const char *rec, size_t len);
/* After the last feed: order the series by time, build the PnL series;
 * limit_quote > 0 replaces the limit read from the rows. */
void	rpt_finish(struct rpt *r, double limit_quote);

enum rpt_chart { RPT_MID, RPT_POS, RPT_PNL, RPT_NCHARTS };
extern const char *const rpt_chart_file[RPT_NCHARTS];	/* "mid.png", ... */
/* Has the window the data for that chart? */
int	rpt_has(const struct rpt *r, enum rpt_chart c);

/* The data files the script plots: name i (0..) and its text; -1 past
 * the last. Times are seconds at the rows' UTC offset (local time). */
int	rpt_data(const struct rpt *r, int i, const char **name,
	    struct text_buf *b);
/* The gnuplot script drawing every chart rpt_has. */
void	rpt_gnuplot(const struct rpt *r, struct text_buf *b);
/* The page; hist is chist_json of r->h. */
void	rpt_html(const struct rpt *r, json_t *hist, const struct rpt_opts *o,
	    int64_t now_ns, struct text_buf *b);

#endif
