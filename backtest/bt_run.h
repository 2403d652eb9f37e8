/*
 * bt_run.h — one backtest: a config, a market (recordings in a row, or the
 * seeded synthetic market for a span of virtual time), a latency model and
 * the exchange's options in; the tree's metrics CSV (into out_dir) and the
 * run's figures out. No wall clock anywhere: the same input and seed give
 * the same bytes. The driver is described in bt_int.h.
 */
#ifndef PMM_BT_RUN_H
#define PMM_BT_RUN_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bt_lat.h"
#include "cfg.h"
#include "exch.h"

/* Virtual start of a synthetic run: 2024-01-01T00:00:00Z. */
#define BT_SYNTH_START_NS	(1704067200LL * 1000000000LL)
#define BT_CAPITAL_USDT_MIN	1.0

struct bt_run_opts {
	const struct cfg *cfg;
	const char *const *files;	/* recordings, in order */
	int		 nfiles;
	double		 synth_s;	/* nfiles == 0: virtual seconds */
	uint64_t	 seed;		/* synthetic market and latency draws */
	struct bt_lat_opts lat;
	enum exch_queue	 queue;
	double		 queue_power;
	double		 maker_fee, taker_fee;	/* fractions (0.0002) */
	/* funding of the synthetic market (a replay's markPrice says its
	 * own rate); the engine's default unless set */
	bool		 funding_rate_set;
	double		 funding_rate;		/* per interval, 0.0001 */
	double		 funding_interval_s;	/* 0 = the engine's (8 h) */
	const char	*out_dir;	/* the metrics CSV; NULL = none */
	/* set (by a signal handler) to stop the run: it fails, "interrupted" */
	volatile sig_atomic_t *stop;
	bool		 no_stats;	/* benchmarks: the bare run */
};

struct bt_result {
	uint64_t	 mkt_events;	/* market events the engine emitted */
	uint64_t	 queue_events;	/* events handed out by the clock */
	uint64_t	 requests;
	uint64_t	 placed, canceled, fills, rejects;
	double		 position;	/* the exchange's, at the end */
	double		 wallet;	/* the exchange's wallet, at the end */
	double		 realized, fees;	/* the fill tally */
	uint64_t	 fundings;		/* payments, either way */
	double		 funding;		/* received - paid */
	double		 buy_qty, sell_qty, buy_quote, sell_quote;
	int64_t		 start_ns, end_ns;	/* virtual */
	uint64_t	 csv_rows;
	void		*stats;		/* struct bts * (bt_stats.h), owned
					   by the caller after bt_run */
};

void	bt_run_defaults(struct bt_run_opts *o);
/* 0, or -1 with err (a recording that is missing or damaged names the
 * file, and the line or record). */
int	bt_run(const struct bt_run_opts *o, struct bt_result *res, char *err,
	    size_t errlen);

#endif
