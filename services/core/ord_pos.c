/*
 * ord_pos.c — the start-up position check (see ord.h): is the position on
 * the account one this instance left, moved since only by its own fills?
 * A position pmm did not leave belongs to someone else (a manual trade, an
 * other program on the same account): pmm refuses to start on it, unless
 * the config says to adopt it, rather than cancel or sell what is not its
 * own. Pure: the exchange's answer and the published fills come in as
 * arguments; order.c does the reads, the logging and the exit.
 */
#include "ord.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "risk_eval.h"

#define ORDP_EPS	1e-12	/* below any lot step: float noise */

void
ordp_init(struct ord_pos *p, const struct ord_fills *f)
{
	memset(p, 0, sizeof(*p));
	p->left_known = f->pos_known;
	p->left = f->pos_known ? f->pos : 0;
}

static bool
ordp_ours(const char *cid, const char *instance)
{
	return strat_cid_ours(cid, instance) || risk_cid_is(cid, instance);
}

void
ordp_fill(struct ord_pos *p, struct ord_fills *f, const struct pmm_fill *fill,
    const char *instance)
{
	double d;

	if (!(fill->qty > 0) || !isfinite(fill->qty))
		return;
	d = fill->side == STRAT_SELL ? -fill->qty : fill->qty;
	if (!p->checked) {
		/* judged at the check: the ledger keeps what was left */
		if (ordp_ours(fill->client_id, instance))
			p->ours += d;
		else
			p->others += d;
		p->fills++;
		return;
	}
	if (!f->pos_known)
		return;
	f->pos += d;
	if (fabs(f->pos) < ORDP_EPS)
		f->pos = 0;
	f->dirty = true;
}

void
ordp_read_sent(struct ord_pos *p)
{
	p->fills_at_read = p->fills;
}

/* "none on record" or the quantity left. */
static void
ordp_left_str(const struct ord_pos *p, char *buf, size_t len)
{
	if (p->left_known)
		snprintf(buf, len, "%.8g", p->left);
	else
		snprintf(buf, len, "none on record");
}

enum ordp_verdict
ordp_check(struct ord_pos *p, double pos, double step, bool adopt,
    const char *symbol, char *msg, size_t len)
{
	double tol = step > 0 && isfinite(step) ? step / 2 : 1e-9;
	char left[32];

	msg[0] = '\0';
	if (!isfinite(pos))
		return ORDP_AGAIN;
	/* a fill crossed the read: the two may not agree, ask again */
	if (p->fills != p->fills_at_read && ++p->crossed < ORDP_CROSSED)
		return ORDP_AGAIN;
	ordp_left_str(p, left, sizeof(left));
	if (fabs(pos) < tol) {
		snprintf(msg, len, "position check: %s flat", symbol);
		return ORDP_FLAT;
	}
	if (p->left_known && fabs(pos - (p->left + p->ours)) < tol) {
		snprintf(msg, len, "position check: %.8g %s is the %s this "
		    "instance left plus its own fills since (%+.8g)", pos,
		    symbol, left, p->ours);
		return ORDP_OURS;
	}
	if (adopt) {
		snprintf(msg, len, "position check: adopting position %.8g %s "
		    "that this instance did not leave (it left %s, its own "
		    "fills since %+.8g, others' %+.8g): risk.adopt_position is "
		    "on", pos, symbol, left, p->ours, p->others);
		return ORDP_ADOPT;
	}
	if (++p->reads < ORDP_READS)
		return ORDP_AGAIN;
	snprintf(msg, len, "refusing to trade: position %.8g %s on the account "
	    "is one this instance did not leave (it left %s, its own fills "
	    "since %+.8g, others' %+.8g); close it, or set "
	    "risk.adopt_position: true to let pmm manage it", pos, symbol,
	    left, p->ours, p->others);
	return ORDP_REFUSE;
}

void
ordp_apply(struct ord_pos *p, struct ord_fills *f, enum ordp_verdict v,
    double pos)
{
	switch (v) {
	case ORDP_FLAT:
	case ORDP_OURS:
	case ORDP_ADOPT:
		p->checked = true;
		f->pos_known = true;
		f->pos = fabs(pos) < ORDP_EPS ? 0 : pos;
		f->dirty = true;
		break;
	case ORDP_REFUSE:
		/*
		 * Our own fills since are ours whatever happens next: the
		 * catch-up will not publish them again, so the next start
		 * must find them inside what was left. Others' are not.
		 */
		if (p->left_known && p->ours != 0) {
			f->pos = p->left + p->ours;
			f->dirty = true;
		}
		break;
	default:
		break;
	}
}
