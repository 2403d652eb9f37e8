/*
 * pxguard.h — is this book sane enough to quote on?
 *
 * A market maker quotes around whatever mid its feed says. A glitch — a
 * bid of 0.00000001, a one-tick book 50 % away, a crossed or empty side —
 * would put real orders at absurd prices (issue 12, item 2). Before every
 * quote the order service asks pxg_check():
 *
 *   spread	(ask - bid) / mid within max_spread_pct;
 *   mark	|mid - mark| / mark within max_mark_dev_pct, when the exchange's
 *		mark price is known (it is the exchange's own fair price);
 *   jump	|mid - ref| / ref within max_jump_pct, where ref is the last
 *		mid this guard accepted, if it was accepted less than
 *		jump_window_ns ago. A move bigger than that is refused until it
 *		has held for the window (a glitch does not; a real repricing
 *		does, and the mark check still stands against a bogus one).
 *
 * A refusal says why in one line of text. Pure: no clock reads (now is an
 * argument), no I/O.
 */
#ifndef PMM_PXGUARD_H
#define PMM_PXGUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pxg_config {
	double		 max_spread_pct;
	double		 max_mark_dev_pct;
	double		 max_jump_pct;
	int64_t		 jump_window_ns;
};

enum pxg_verdict {
	PXG_OK = 0,
	PXG_NO_BOOK,		/* a side missing, not finite, or crossed */
	PXG_SPREAD,
	PXG_MARK,
	PXG_JUMP,
};

struct pxg {
	struct pxg_config c;
	bool		 have_ref;
	double		 ref_mid;	/* the last accepted mid */
	int64_t		 ref_ns;	/* when it was accepted */
};

void	pxg_init(struct pxg *g, const struct pxg_config *c);
/* New limits (reload); the reference mid is kept. */
void	pxg_set_config(struct pxg *g, const struct pxg_config *c);
/*
 * The verdict on a book (mark <= 0 or NaN: not known, not checked); an
 * accepted book becomes the jump reference. why gets a line for status
 * and logs on a refusal ("" when sane).
 */
enum pxg_verdict pxg_check(struct pxg *g, double bid, double ask,
	    double mark, int64_t now, char *why, size_t len);
const char *pxg_verdict_name(enum pxg_verdict v);

#endif
