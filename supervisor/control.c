/*
 * control.c — pmmd's control socket: the requests pmmctl sends.
 *
 * <rundir>/pmmd.sock is a stream socket in a 0700 directory; on top of
 * that every client's credentials are checked (SO_PEERCRED): only our own
 * user or root may steer the tree. A request is one line of text
 * ("status", "pause why", ...); the answer is one JSON object, after which
 * pmmd closes the connection. JSON keeps pmmctl's text and --json output
 * built from the same data, like bgpctl's pluggable output.
 *
 * No client can hold the socket for the others: every connection is
 * non-blocking and has PMMD_CLIENT_TIMEOUT_NS to send its line and take its
 * answer (sent as the socket accepts it, on EPOLLOUT), then it is dropped.
 * At most PMMD_MAX_CLIENTS are open; when all are taken, the oldest one
 * that has sent nothing for PMMD_CLIENT_IDLE_NS makes room, and failing
 * that the newcomer is told {"ok":false,"busy":true} (pmmctl retries).
 * A pause reason is made printable here, where it enters: control
 * characters and invalid UTF-8 never reach logs, CSV or terminals.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "pmmd.h"
#include "qstate.h"
#include "rundir.h"
#include "text.h"
#include "timeutil.h"

#define EV_CLIENT	4	/* see pmmd.c */

int
control_listen(struct pmmd *d)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (rundir_sock(sun.sun_path, sizeof(sun.sun_path), d->rundir,
	    "pmmd.sock") == -1) {
		log_warnx("%s: runtime dir path too long", __func__);
		return -1;
	}
	unlink(sun.sun_path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    chmod(sun.sun_path, 0600) == -1 ||
	    listen(fd, PMMD_MAX_CLIENTS * 2) == -1) {
		log_warn("%s: %s", __func__, sun.sun_path);
		if (fd != -1)
			close(fd);
		return -1;
	}
	d->ctl_lfd = fd;
	return 0;
}

static void
control_drop(struct pmmd *d, int idx)
{
	struct ctl_client *c = &d->clients[idx];

	if (c->fd == -1)
		return;
	epoll_ctl(d->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	c->len = 0;
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = 0;
}

void
control_close_all(struct pmmd *d)
{
	int i;

	for (i = 0; i < PMMD_MAX_CLIENTS; i++)
		control_drop(d, i);
	if (d->ctl_lfd != -1)
		close(d->ctl_lfd);
	d->ctl_lfd = -1;
}

/* Clients past their deadline are dropped: nobody holds a slot for long. */
void
control_tick(struct pmmd *d, int64_t now)
{
	int i;

	for (i = 0; i < PMMD_MAX_CLIENTS; i++) {
		struct ctl_client *c = &d->clients[i];

		if (c->fd != -1 &&
		    now - c->since_mono > PMMD_CLIENT_TIMEOUT_NS) {
			log_debug("control: client silent or not reading for "
			    "%.1f s, dropped", PMMD_CLIENT_TIMEOUT_NS / 1e9);
			control_drop(d, i);
		}
	}
}

static int
control_peer_allowed(int fd)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == -1)
		return 0;
	if (uc.uid == 0 || uc.uid == geteuid())
		return 1;
	log_warnx("control: refused uid %u (pid %d)", (unsigned)uc.uid,
	    (int)uc.pid);
	return 0;
}

/* A free slot: an empty one, else the oldest client that said nothing. */
static int
control_slot(struct pmmd *d, int64_t now)
{
	int i, old = -1;

	for (i = 0; i < PMMD_MAX_CLIENTS; i++) {
		const struct ctl_client *c = &d->clients[i];

		if (c->fd == -1)
			return i;
		if (c->len == 0 && c->out == NULL &&
		    now - c->since_mono >= PMMD_CLIENT_IDLE_NS &&
		    (old == -1 || c->since_mono < d->clients[old].since_mono))
			old = i;
	}
	if (old != -1) {
		log_debug("control: all %d slots taken; dropping a client "
		    "silent for %.1f s", PMMD_MAX_CLIENTS,
		    (now - d->clients[old].since_mono) / 1e9);
		control_drop(d, old);
	}
	return old;
}

/* No slot: say so (the socket is new, its buffer takes a short line). */
static void
control_busy(int fd)
{
	static const char busy[] = "{\"ok\":false,\"busy\":true,\"error\":"
	    "\"pmmd is busy: too many control connections\"}\n";

	(void)!send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
}

void
control_accept(struct pmmd *d)
{
	struct epoll_event ev;
	int64_t now = now_mono_ns();
	int fd, i;

	while ((fd = accept4(d->ctl_lfd, NULL, NULL,
	    SOCK_NONBLOCK | SOCK_CLOEXEC)) != -1) {
		if (!control_peer_allowed(fd)) {
			close(fd);
			continue;
		}
		if ((i = control_slot(d, now)) == -1) {
			control_busy(fd);
			continue;
		}
		ev.events = EPOLLIN;
		ev.data.u64 = ((uint64_t)EV_CLIENT << 32) | i;
		if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) == -1) {
			close(fd);
			continue;
		}
		d->clients[i].fd = fd;
		d->clients[i].len = 0;
		d->clients[i].since_mono = now;
	}
}

/* JSON null for "not known yet" rather than a misleading 0. */
static json_t *
control_num(double v, int known)
{
	return known && isfinite(v) ? json_real(v) : json_null();
}

static json_t *
control_services(struct pmmd *d, int64_t now_real)
{
	json_t *arr = json_array();
	char how[96];
	int i;

	for (i = 0; i < SVC_COUNT; i++) {
		const struct proc *p = &d->p[i];
		struct shm_hb hb;
		int64_t now_mono = now_mono_ns();

		memset(&hb, 0, sizeof(hb));
		SHM_READ(&d->shm_guard, d->shm, hb[i], &hb);
		proc_describe_status(p->last_status, how, sizeof(how));
		json_array_append_new(arr, json_pack(
		    "{s:s, s:i, s:s, s:o, s:i, s:s, s:o, s:o, s:I, s:I, s:I, "
		    "s:I}",
		    "name", p->name,
		    "pid", (int)p->pid,
		    "state", proc_state_name(p->state),
		    "uptime_s", control_num((now_real - p->started_real) / 1e9,
			p->pid != 0),
		    "restarts", (int)p->restarts,
		    "last_exit", how,
		    "last_exit_age_s", control_num(
			(now_real - p->last_exit_real) / 1e9,
			p->last_exit_real != 0),
		    "heartbeat_age_ms", control_num(
			(now_mono - hb.beat_ns) / 1e6,
			p->pid != 0 && hb.beat_ns != 0),
		    "heartbeats", (json_int_t)hb.beats,
		    "errors", (json_int_t)hb.errors,
		    "lost", (json_int_t)hb.lost,
		    "pending", (json_int_t)hb.pending));
	}
	return arr;
}

/*
 * Risk keeps an operator pause as one of its causes (risk_eval.h's
 * RISK_C_OPERATOR, bit 4; the bits live in the segment, so they do not
 * move): that one is said once, as the operator's.
 */
#define CTL_RISK_OPERATOR_BIT	(1u << 4)

/*
 * A pause names who holds it: risk (its first cause's reason) and/or the
 * operator. The order service only knows "paused"; pmmd knows by whom.
 */
static void
control_pausers(struct pmmd *d, const struct shm_risk *rk, char *buf,
    size_t len, json_t *by)
{
	size_t off = 0;

	buf[0] = '\0';
	if (rk->paused && (rk->pause_causes & ~CTL_RISK_OPERATOR_BIT) != 0) {
		off += (size_t)snprintf(buf, len, "risk: %.*s",
		    (int)sizeof(rk->pause_reason), rk->pause_reason);
		json_array_append_new(by, json_string("risk"));
	}
	if (d->procs.operator_paused && off < len) {
		snprintf(buf + off, len - off, "%soperator: %s",
		    off ? "; " : "", d->procs.operator_reason);
		json_array_append_new(by, json_string("operator"));
	}
}

/*
 * Why (not) quoting, from the order service's record — unless order is
 * not running, when its last record would lie — with who paused and
 * since when the state holds: "not quoting" for 2 s or for 2 h are two
 * different problems.
 */
static json_t *
control_quoting(struct pmmd *d, const struct shm_orders *od,
    const struct shm_risk *rk, int64_t now)
{
	const struct proc *p = &d->p[SVC_ORDER];
	char reason[QS_REASON_LEN + 200];
	uint32_t st = od->quote_state;
	json_t *by = json_array();
	int64_t since = od->quote_since_ns;
	size_t i;

	snprintf(reason, sizeof(reason), "%.*s", (int)sizeof(od->quote_reason),
	    od->quote_reason);
	if (p->state != PROC_READY && !(p->state == PROC_STARTING &&
	    st == QS_STARTING)) {
		st = QS_ORDER_DOWN;
		snprintf(reason, sizeof(reason), "order service %s",
		    proc_state_name(p->state));
		since = p->last_exit_real;
	} else if (st == QS_PAUSED || rk->paused || d->procs.operator_paused) {
		char who[sizeof(reason)];

		control_pausers(d, rk, who, sizeof(who), by);
		if (st == QS_PAUSED && who[0] != '\0')
			snprintf(reason, sizeof(reason), "%s", who);
	}
	/* JSON wants UTF-8; a reason cut mid-character (or an operator's
	 * raw bytes) must not lose the whole answer */
	for (i = 0; reason[i] != '\0'; i++)
		if ((unsigned char)reason[i] < 0x20 ||
		    (unsigned char)reason[i] > 0x7e)
			reason[i] = '?';
	return json_pack("{s:b, s:s, s:s, s:o, s:o, s:o}", "quoting",
	    st == QS_QUOTING, "state", quote_state_name(st), "reason", reason,
	    "paused_by", by,
	    "since_ns", since > 0 ? json_integer(since) : json_null(),
	    "since_s", control_num((now - since) / 1e9, since > 0));
}

/* Each open order: side, level, price, distance from the mid, age. */
static json_t *
control_ladder(const struct shm_orders *od, double mid, int64_t now)
{
	static const char *const states[] = { "pending", "open", "canceling" };
	json_t *arr = json_array();
	uint32_t i;

	for (i = 0; i < od->n_open && i < SHM_MAX_ORDERS; i++) {
		const struct shm_order_rec *r = &od->open[i];
		double bp = (r->price - mid) / mid * 1e4;

		json_array_append_new(arr, json_pack(
		    "{s:s, s:i, s:f, s:o, s:f, s:f, s:s, s:o, s:I}",
		    "side", r->side == 0 ? "BUY" : "SELL",
		    "level", (int)r->level,
		    "price", r->price,
		    "bp_from_mid", control_num(bp, mid > 0),
		    "qty", r->qty,
		    "filled", r->filled,
		    "status", r->status < 3 ? states[r->status] : "?",
		    "age_s", control_num((now - r->ts_ns) / 1e9, r->ts_ns > 0),
		    "order_id", (json_int_t)r->order_id));
	}
	return arr;
}

/*
 * Since pmmd started: the order service's fill and funding tally and
 * risk's PnL. Net = realized + unrealized - fees + funding (funding: +
 * received, - paid).
 */
static json_t *
control_since_start(const struct shm_orders *od, const struct shm_risk *rk)
{
	const struct shm_fill_tally *t = &od->tally;
	uint64_t n = t->buys + t->sells;
	double up = isfinite(rk->unrealized_pnl) ? rk->unrealized_pnl : 0;

	return json_pack("{s:I, s:I, s:I, s:f, s:f, s:f, s:o, s:o, s:o, "
	    "s:f, s:I, s:f, s:I, s:o, s:o, s:o}",
	    "fills", (json_int_t)n,
	    "buys", (json_int_t)t->buys,
	    "sells", (json_int_t)t->sells,
	    "buy_qty", t->buy_qty,
	    "sell_qty", t->sell_qty,
	    "volume_quote", t->buy_quote + t->sell_quote,
	    "avg_buy_price", control_num(t->buy_quote / t->buy_qty,
		t->buy_qty > 0),
	    "avg_sell_price", control_num(t->sell_quote / t->sell_qty,
		t->sell_qty > 0),
	    "maker_share", control_num((double)t->maker / n, n > 0),
	    "fees", t->fees,
	    "fees_other_asset", (json_int_t)t->fee_other,
	    "funding", t->funding,
	    "funding_payments", (json_int_t)t->fundings,
	    "realized_pnl", control_num(rk->realized_pnl, 1),
	    "unrealized_pnl", control_num(rk->unrealized_pnl, 1),
	    "net_pnl", control_num(rk->realized_pnl + up - t->fees +
		t->funding, 1));
}

static json_t	*control_model(struct pmmd *, const struct shm_market *,
		    const struct shm_orders *);

static json_t *
control_status(struct pmmd *d)
{
	struct shm_market mk;
	struct shm_risk rk;
	struct shm_orders od;
	int64_t now = now_real_ns();
	int have_mid, paused;
	const char *reason;
	char base[32], quote[16];
	double limit = d->cfg.initial_capital * d->cfg.max_net_position_ratio;
	json_t *o;

	memset(&mk, 0, sizeof(mk));
	memset(&rk, 0, sizeof(rk));
	memset(&od, 0, sizeof(od));
	/* a corrupt section shows as no data (and in "segment") */
	SHM_READ(&d->shm_guard, d->shm, market, &mk);
	SHM_READ(&d->shm_guard, d->shm, risk, &rk);
	SHM_READ(&d->shm_guard, d->shm, orders, &od);
	have_mid = mk.recv_ts_ns != 0;
	paused = rk.paused || d->procs.operator_paused;
	reason = rk.paused ? rk.pause_reason :
	    d->procs.operator_paused ? d->procs.operator_reason : "";
	o = json_pack("{s:b, s:s, s:s, s:s, s:i, s:f, s:b, s:o}",
	    "ok", 1,
	    "instance", d->cfg.instance_id,
	    "symbol", d->cfg.symbol,
	    "env", cfg_env_name(d->cfg.exchange_env),
	    "pid", (int)getpid(),
	    "uptime_s", (now_mono_ns() - d->started_mono) / 1e9,
	    "tree_ready", d->procs.tree_ready != 0,
	    "services", control_services(d, now));
	json_object_set_new(o, "strategy_paused", json_boolean(paused));
	json_object_set_new(o, "pause_reason", json_string(reason));
	json_object_set_new(o, "mid_price", control_num(mk.mid, have_mid));
	json_object_set_new(o, "mark_price", control_num(
	    mk.mark_price != 0 ? mk.mark_price : mk.mid, have_mid));
	json_object_set_new(o, "best_bid", control_num(mk.bid, have_mid));
	json_object_set_new(o, "best_ask", control_num(mk.ask, have_mid));
	json_object_set_new(o, "price_age_ms", control_num(
	    (now - mk.recv_ts_ns) / 1e6, have_mid));
	json_object_set_new(o, "market_stale", json_boolean(mk.stale != 0));
	json_object_set_new(o, "ws_reconnects", json_integer(mk.ws_reconnects));
	/* risk publishes NaN for what the exchange has not said yet */
	json_object_set_new(o, "position", control_num(rk.position, 1));
	json_object_set_new(o, "position_notional",
	    control_num(rk.position_notional, 1));
	json_object_set_new(o, "unrealized_pnl",
	    control_num(rk.unrealized_pnl, 1));
	json_object_set_new(o, "realized_pnl", control_num(rk.realized_pnl, 1));
	json_object_set_new(o, "open_orders", json_integer(od.n_open));
	json_object_set_new(o, "segment", shmck_status(d));
	json_object_set_new(o, "quoting", control_quoting(d, &od, &rk, now));
	cfg_symbol_assets(d->cfg.symbol, base, sizeof(base), quote,
	    sizeof(quote));
	json_object_set_new(o, "base_asset", json_string(base));
	json_object_set_new(o, "tick_size", control_num(od.tick_size,
	    od.tick_size > 0));
	json_object_set_new(o, "step_size", control_num(od.step_size,
	    od.step_size > 0));
	/* flat, the exchange says entry 0: there is no entry price */
	json_object_set_new(o, "entry_price", control_num(rk.entry_price,
	    rk.position != 0));
	json_object_set_new(o, "position_limit", json_real(limit));
	json_object_set_new(o, "limit_share", control_num(
	    fabs(rk.position_notional) / limit, limit > 0));
	json_object_set_new(o, "ladder", control_ladder(&od,
	    have_mid ? mk.mid : NAN, now));
	json_object_set_new(o, "since_start", control_since_start(&od, &rk));
	json_object_set_new(o, "model", control_model(d, &mk, &od));
	return o;
}

/*
 * The strategy's parameters and what its last quote was built around
 * (the order record), and the market's live estimates: whether each is
 * measured or still the configured fallback (warming up).
 */
static json_t *
control_model(struct pmmd *d, const struct shm_market *mk,
    const struct shm_orders *od)
{
	int est = mk->est_sigma_bp > 0;

	return json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, "
	    "s:o, s:o, s:o, s:o, s:o, s:o}",
	    "strategy", d->cfg.strategy_name,
	    "gamma", control_num(od->m_gamma, 1),
	    "sigma_bp", control_num(od->m_sigma_bp, od->m_sigma_bp > 0),
	    "A", control_num(od->m_a, od->m_a > 0),
	    "k", control_num(od->m_k, od->m_k > 0),
	    "reservation_price", control_num(od->m_reservation, 1),
	    "half_spread", control_num(od->m_half_spread, 1),
	    "skew_bp", control_num(od->m_skew_bp, 1),
	    "q_orders", control_num(od->m_q_lots, 1),
	    "est_sigma_bp", control_num(mk->est_sigma_bp, est),
	    "est_A", control_num(mk->est_a, est),
	    "est_k", control_num(mk->est_k, est),
	    "sigma_live", json_boolean(mk->est_sigma_live != 0),
	    "ak_live", json_boolean(mk->est_ak_live != 0),
	    "est_returns", json_integer(mk->est_returns),
	    "est_trades", json_integer(mk->est_trades));
}

static json_t *
control_config(struct pmmd *d)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp;
	json_t *o;

	if ((fp = open_memstream(&text, &len)) == NULL)
		return json_pack("{s:b, s:s}", "ok", 0, "error", "out of memory");
	cfg_print(&d->cfg, fp);
	fclose(fp);
	o = json_pack("{s:b, s:s, s:s, s:s}", "ok", 1, "config", d->cfg_path,
	    "env_file", d->env_path, "text", text ? text : "");
	free(text);
	return o;
}

static void
control_pause(struct pmmd *d, int pause, const char *reason)
{
	struct pmm_msg m;

	d->procs.operator_paused = pause;
	/* printable from here on: logs, CSV, status, the other services */
	text_clean(d->procs.operator_reason, sizeof(d->procs.operator_reason),
	    pause ? (*reason ? reason : "paused by operator") : "", 0);
	proc_publish(d);
	memset(&m, 0, sizeof(m));
	snprintf(m.u.pause.text, sizeof(m.u.pause.text), "%s",
	    d->procs.operator_reason);
	proc_send(d, &d->p[SVC_RISK], pause ? PMM_MSG_PAUSE : PMM_MSG_RESUME,
	    &m);
	proc_send(d, &d->p[SVC_ORDER], pause ? PMM_MSG_PAUSE : PMM_MSG_RESUME,
	    &m);
	log_info("operator %s%s%s", pause ? "paused the strategy: " :
	    "resumed the strategy", pause ? d->procs.operator_reason : "", "");
}

static json_t *
control_crash(struct pmmd *d, const char *name)
{
	struct pmm_msg m;
	int id = svc_from_name(name);

	if (id < 0)
		return json_pack("{s:b, s:s}", "ok", 0, "error",
		    "unknown service (valid: market, order, risk, logger)");
	memset(&m, 0, sizeof(m));
	if (proc_send(d, &d->p[id], PMM_MSG_CRASH, &m) == -1)
		return json_pack("{s:b, s:s}", "ok", 0, "error",
		    "service is not running");
	log_warnx("operator asked %s to crash", name);
	return json_pack("{s:b}", "ok", 1);
}

static json_t *
control_reload(struct pmmd *d)
{
	char msg[CFG_ERRLEN + 64];

	if (pmmd_reload(d, msg, sizeof(msg)) == -1)
		return json_pack("{s:b, s:s}", "ok", 0, "error", msg);
	return json_pack("{s:b, s:s}", "ok", 1, "message", msg);
}

/* The keyword table: request word -> handler. */
static json_t *
control_dispatch(struct pmmd *d, char *req)
{
	char *arg = strchr(req, ' ');

	if (arg != NULL)
		*arg++ = '\0';
	else
		arg = req + strlen(req);
	if (strcmp(req, "status") == 0)
		return control_status(d);
	if (strcmp(req, "config") == 0)
		return control_config(d);
	if (strcmp(req, "pause") == 0 || strcmp(req, "resume") == 0) {
		control_pause(d, req[0] == 'p', arg);
		return json_pack("{s:b}", "ok", 1);
	}
	if (strcmp(req, "reload") == 0)
		return control_reload(d);
	if (strcmp(req, "stop") == 0) {
		proc_stop_tree(d, "pmmctl stop");
		return json_pack("{s:b}", "ok", 1);
	}
	if (strcmp(req, "crash") == 0)
		return control_crash(d, arg);
	return json_pack("{s:b, s:s}", "ok", 0, "error", "unknown request");
}

/* Send what the socket takes; done (dropped) once all of it went. */
static void
control_send(struct pmmd *d, int idx)
{
	struct ctl_client *c = &d->clients[idx];
	struct epoll_event ev;
	ssize_t n;

	while (c->out_off < c->out_len) {
		n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
		    MSG_NOSIGNAL);
		if (n > 0) {
			c->out_off += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* the rest when the client reads (or its deadline) */
			ev.events = EPOLLOUT;
			ev.data.u64 = ((uint64_t)EV_CLIENT << 32) | idx;
			if (epoll_ctl(d->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
				return;
		}
		break;		/* the client went away */
	}
	control_drop(d, idx);
}

static void
control_answer(struct pmmd *d, int idx, char *req)
{
	struct ctl_client *c = &d->clients[idx];
	json_t *o = control_dispatch(d, req);
	/* 15 digits: no binary float noise (0.1 + 0.2) in what people read */
	char *out = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(15)) :
	    NULL;
	size_t len;

	json_decref(o);
	if (out == NULL || (c->out = malloc((len = strlen(out)) + 1)) == NULL) {
		free(out);
		control_drop(d, idx);
		return;
	}
	memcpy(c->out, out, len);
	c->out[len] = '\n';
	c->out_len = len + 1;
	c->out_off = 0;
	free(out);
	control_send(d, idx);
}

void
control_readable(struct pmmd *d, int idx)
{
	struct ctl_client *c = &d->clients[idx];
	char *nl;
	ssize_t n;

	if (c->fd == -1)
		return;
	if (c->out != NULL) {		/* EPOLLOUT: more of the answer */
		control_send(d, idx);
		return;
	}
	n = read(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len);
	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			control_drop(d, idx);
		return;
	}
	c->len += n;
	c->buf[c->len] = '\0';
	if ((nl = memchr(c->buf, '\n', c->len)) != NULL) {
		*nl = '\0';
		control_answer(d, idx, c->buf);
	} else if (c->len == sizeof(c->buf) - 1) {
		log_warnx("control: request longer than %d bytes, dropped",
		    PMMD_REQ_MAX - 1);
		control_drop(d, idx);
	}
}
