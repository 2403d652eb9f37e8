/*
 * bt_int.h — inside one backtest run: the context the driver files share
 * (bt_run.c: engine, virtual clock, market and logger; bt_order.c: the
 * order service's side; bt_risk.c: the risk service's side).
 *
 * The run plays the tree's processes in one thread on a virtual clock.
 * What each service decides comes from the same pure modules the services
 * call (strat, ord_book/plan/rej, pxguard, ord_fills, risk_eval); what the
 * exchange does comes from pmm-exchange's engine (sim/exch.c) driven in
 * process. What would cross a socket crosses the event queue instead,
 * delayed by the latency model: a request reaches the engine at
 * t + entry, its answer the service at t + entry + response; a market
 * update reaches the services at its engine time + feed latency. The
 * state segment is a plain struct shm_state in memory, published and read
 * with the same SHM_PUBLISH/SHM_SNAPSHOT as the tree, so the logger's
 * rows come out of the real logrow.c.
 */
#ifndef PMM_BT_INT_H
#define PMM_BT_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "bn_filters.h"
#include "bn_parse.h"
#include "bt_lat.h"
#include "bt_queue.h"
#include "bt_run.h"
#include "cfg.h"
#include "csvlog.h"
#include "estim.h"
#include "exch.h"
#include "logrow.h"
#include "msg.h"
#include "ord.h"
#include "ord_rej.h"
#include "pxguard.h"
#include "quoter.h"
#include "risk_eval.h"
#include "shm.h"
#include "strat.h"

#define NS_PER_MS_BT	1000000LL
#define NS_PER_S_BT	1000000000LL
/* The services' loop timers fire at least this often (ORDER_TIMER_MAX_NS,
 * RISK_TIMER_MAX_NS). */
#define BT_TURN_NS	(100 * NS_PER_MS_BT)
#define BT_BATCH_MAX	10		/* DELETE batchOrders */
#define BT_RISK_OPEN_MAX 200		/* risk.c's RISK_OPEN_MAX */

/* What travels on the queue. */
enum bt_kind {
	BT_EV_TICK = 1,		/* bookTicker reaches market+order+risk */
	BT_EV_MARK,		/* markPrice reaches market */
	BT_EV_TRADE,		/* aggTrade reaches market (the estimator) */
	BT_EV_USER,		/* a user-stream event reaches order */
	BT_EV_REQ,		/* a REST request reaches the engine */
	BT_EV_ANSWER,		/* its answer reaches the service */
};

enum bt_req_kind {
	BT_RQ_PLACE = 0,	/* order: POST batchOrders (LIMIT GTX) */
	BT_RQ_CANCEL,		/* order: DELETE batchOrders */
	BT_RQ_POS,		/* risk: GET positionRisk */
	BT_RQ_OPEN,		/* risk: GET openOrders */
	BT_RQ_RCANCEL,		/* risk: DELETE batchOrders of ours */
	BT_RQ_MARKET,		/* risk: POST order, reduce-only MARKET */
	BT_RQ_QUERY,		/* risk: GET order by client id */
};

/* One element of a batch answer. */
struct bt_item {
	bool		 is_error;
	int		 code;
	char		 msg[EXCH_MSGLEN];
	struct bn_order	 order;
};

/* A REST request and, once the engine took it, its answer. */
struct bt_req {
	enum bt_req_kind kind;
	int		 n;
	char		 cids[BT_BATCH_MAX][PMM_ID_MAX];
	struct strat_quote q[ORD_PLACE_BATCH];	/* BT_RQ_PLACE */
	uint64_t	 data_id;	/* market data known when sent */
	int64_t		 sent_ns;
	/* BT_RQ_MARKET */
	int		 side;
	double		 qty;
	/* answers */
	struct bt_item	 item[BT_BATCH_MAX];
	struct exch_position pos;		/* BT_RQ_POS */
	double		 wallet;
	int		 n_open;		/* BT_RQ_OPEN: ours */
	int		 others;
	char		 (*open)[PMM_ID_MAX];	/* BT_RQ_OPEN: ours, owned */
};

/* A user-stream event as the order service parses it. */
struct bt_user {
	bool		 account;	/* ACCOUNT_UPDATE, else ORDER_TRADE_UPDATE */
	struct bn_order_update ou;
	struct bn_account_update au;
};

/* The order service's state: order.c's order_ctx, less its sockets. */
struct bt_order {
	struct quoter	 q;		/* when to quote and what */
	struct qt_plan	 plan;
	struct ord_book	 book;
	struct ord_counts cnt;
	struct ordr_rate rej_rate;
	struct ord_fills fl;
	struct shm_orders rec;
	bool		 checked;	/* the config against the filters */
	double		 position;
};

/* The risk service's state: risk.c's risk_ctx, less its sockets. */
struct bt_risk {
	struct risk_eval ev;
	struct risk_book book;
	struct shm_risk	 rk;
	bool		 have_pos;
	double		 mark;
	bool		 stale, user_ok, pos_unchecked;
	bool		 read_busy, act_busy;
	int64_t		 read_at;
	uint64_t	 read_seq;
	char		 cid[PMM_ID_MAX];
	uint64_t	 cid_seq;
	char		 (*sweep)[PMM_ID_MAX];
	int		 sweep_n, sweep_i, sweep_others;
	enum risk_result sweep_res;
};

struct bt {
	const struct bt_run_opts *o;
	const struct cfg *c;
	struct bt_result *res;
	char		*err;
	size_t		 errlen;
	bool		 failed;

	/* the exchange */
	struct exch	*ex;
	struct exch_account *acct;
	int		 sym;
	const struct exch_symbol_spec *spec;
	struct bn_filters flt;
	struct strat_filters sflt;
	int		 next_file;	/* replay: the next of o->files */

	/* the virtual clock */
	struct bt_queue	 q;
	struct bt_lat	 lat;
	struct bt_chan	 feed, user;	/* one WebSocket each */
	int64_t		 now, start_ns, end_ns;
	int64_t		 next_turn_ns, next_sample_ns;

	/* the state segment, the logger */
	struct shm_state *st;
	struct shm_market mk;
	struct est	 est;		/* market's estimator (estim.h) */
	bool		 est_on;
	struct csvlog	*csv;
	struct logrow_self self;
	void		*stats;		/* struct bts *, when built with it */

	struct bt_order	 od;
	struct bt_risk	 rs;
};

/* bt_run.c */
/* Put a request on its way to the engine (entry latency). */
void	bt_send(struct bt *b, struct bt_req *r, int weight, int orders);
/* A bus message as the logger records it (one CSV row). */
void	bt_log_msg(struct bt *b, int type, const struct pmm_msg *m);
void	bt_fail(struct bt *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	bt_bn_order(const struct exch_order *o, struct bn_order *out);

/* bt_order.c */
int	bt_order_init(struct bt *b);
void	bt_order_free(struct bt *b);
/* A TICK reaches the order service. */
void	bt_order_tick(struct bt *b, double bid, double ask);
/* Its loop timer: refresh, re-evaluation, stale market. */
void	bt_order_turn(struct bt *b);
int64_t	bt_order_due(const struct bt *b);
/* A RISK_ACTION reached it: look at risk's flag now. */
void	bt_order_risk_action(struct bt *b);
void	bt_order_user(struct bt *b, const struct bt_user *u);
void	bt_order_answer(struct bt *b, struct bt_req *r);
void	bt_order_publish(struct bt *b);

/* bt_risk.c */
void	bt_risk_init(struct bt *b);
void	bt_risk_free(struct bt *b);
void	bt_risk_turn(struct bt *b);
void	bt_risk_fill(struct bt *b, const struct pmm_fill *f);
void	bt_risk_answer(struct bt *b, struct bt_req *r);
void	bt_risk_publish(struct bt *b);

#endif
