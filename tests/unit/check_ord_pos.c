/*
 * check_ord_pos.c — the start-up position check (services/core/ord_pos.c) and
 * the position kept in the fill ledger's line: a position this instance
 * left, moved only by its own fills, is accepted; a flat account always;
 * anyone else's is refused unless adopted; races with a fill are read
 * again, never refused.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "check_run.h"
#include "ord.h"

#define INST	"pmm1"
#define STEP	0.001

static struct pmm_fill
fill_of(const char *cid, int side, double qty)
{
	struct pmm_fill f;

	memset(&f, 0, sizeof(f));
	snprintf(f.client_id, sizeof(f.client_id), "%s", cid);
	f.side = (uint8_t)side;
	f.qty = qty;
	f.price = 60000;
	return f;
}

/* A ledger loaded from line (NULL: a first run, nothing on disk). */
static void
start(struct ord_fills *f, struct ord_pos *p, const char *line)
{
	ordf_init(f);
	if (line != NULL)
		ck_assert_int_eq(ordf_load(f, line), 0);
	ordp_init(p, f);
}

/* One read sent and judged. */
static enum ordp_verdict
judge(struct ord_pos *p, double pos, bool adopt, char *msg, size_t len)
{
	ordp_read_sent(p);
	return ordp_check(p, pos, STEP, adopt, "BTCUSDT", msg, len);
}

START_TEST(test_line_keeps_position)
{
	struct ord_fills f, g;
	char line[ORDF_LINE_MAX];

	ordf_init(&f);
	ck_assert_int_eq(ordf_load(&f, "pmm-fills 1 safe=7 above=9,11\n"), 0);
	ck_assert(!f.pos_known);	/* an older ledger: none on record */
	f.pos_known = true;
	f.pos = -0.003;
	ck_assert_int_gt(ordf_format(&f, line, sizeof(line)), 0);
	ck_assert_str_eq(line, "pmm-fills 1 safe=7 above=9,11 pos=-0.003\n");
	ordf_init(&g);
	ck_assert_int_eq(ordf_load(&g, line), 0);
	ck_assert(g.pos_known);
	ck_assert_double_eq(g.pos, -0.003);
	ck_assert_int_eq(g.nabove, 2);
	ck_assert_int_eq(ordf_load(&g, "pmm-fills 1 safe=7 above= pos=0\n"),
	    0);
	ck_assert(g.pos_known && g.pos == 0 && g.nabove == 0);
	/* noise a sum of fills leaves is not written */
	f.pos = 0.1 + 0.2;
	ck_assert_int_gt(ordf_format(&f, line, sizeof(line)), 0);
	ck_assert_str_eq(line, "pmm-fills 1 safe=7 above=9,11 pos=0.3\n");
	ck_assert_int_eq(ordf_load(&g, "pmm-fills 1 safe=7 above= pos=x\n"),
	    -1);
	ck_assert_int_eq(ordf_load(&g, "pmm-fills 1 safe=7 above= pos=nan\n"),
	    -1);
	ck_assert_int_eq(ordf_load(&g, "pmm-fills 1 safe=7 above= pos=1 x\n"),
	    -1);
	ck_assert_int_eq(ordf_load(&g, "pmm-fills 1 safe=7 above= neg=1\n"),
	    -1);
}
END_TEST

START_TEST(test_flat_always_accepted)
{
	struct ord_fills f;
	struct ord_pos p;
	char msg[256];

	/* a fresh exchange after a run that left 0.005 */
	start(&f, &p, "pmm-fills 1 safe=500 above= pos=0.005\n");
	ck_assert_int_eq(judge(&p, 0, false, msg, sizeof(msg)), ORDP_FLAT);
	ordp_apply(&p, &f, ORDP_FLAT, 0);
	ck_assert(f.pos_known && f.pos == 0 && f.dirty);
	/* a first run on a flat account */
	start(&f, &p, NULL);
	ck_assert_int_eq(judge(&p, 0.0004, false, msg, sizeof(msg)),
	    ORDP_FLAT);	/* under half a step */
}
END_TEST

START_TEST(test_what_we_left_plus_our_fills)
{
	struct ord_fills f;
	struct pmm_fill x;
	struct ord_pos p;
	char msg[256];

	start(&f, &p, "pmm-fills 1 safe=10 above= pos=0.004\n");
	ck_assert_int_eq(judge(&p, 0.004, false, msg, sizeof(msg)), ORDP_OURS);
	ck_assert_ptr_nonnull(strstr(msg, "this instance left"));

	/* the ladder filled while we were dead, and risk flattened: both
	 * read back by the catch-up before the check */
	start(&f, &p, "pmm-fills 1 safe=10 above= pos=0.004\n");
	x = fill_of(INST "-B1-abc", STRAT_BUY, 0.002);
	ordp_fill(&p, &f, &x, INST);
	x = fill_of(INST "-X-k3", STRAT_SELL, 0.001);
	ordp_fill(&p, &f, &x, INST);
	ck_assert_double_eq(f.pos, 0.004);	/* not moved before the check */
	ck_assert_int_eq(judge(&p, 0.005, false, msg, sizeof(msg)), ORDP_OURS);
	ordp_apply(&p, &f, ORDP_OURS, 0.005);
	ck_assert_double_eq(f.pos, 0.005);
	/* after the check every fill moves the ledger, whoever made it */
	x = fill_of("manual-1", STRAT_SELL, 0.002);
	f.dirty = false;
	ordp_fill(&p, &f, &x, INST);
	ck_assert(f.dirty);
	ck_assert_double_eq_tol(f.pos, 0.003, 1e-12);
}
END_TEST

START_TEST(test_foreign_refused_unless_adopted)
{
	struct ord_fills f;
	struct pmm_fill x;
	struct ord_pos p;
	char msg[512];
	int i;

	/* a first run on an account that holds 0.002 */
	start(&f, &p, NULL);
	for (i = 1; i < ORDP_READS; i++)
		ck_assert_int_eq(judge(&p, 0.002, false, msg, sizeof(msg)),
		    ORDP_AGAIN);
	ck_assert_int_eq(judge(&p, 0.002, false, msg, sizeof(msg)),
	    ORDP_REFUSE);
	ck_assert_ptr_nonnull(strstr(msg, "did not leave"));
	ck_assert_ptr_nonnull(strstr(msg, "none on record"));
	ck_assert_ptr_nonnull(strstr(msg, "risk.adopt_position: true"));
	ck_assert_ptr_null(strchr(msg, '\n'));
	ordp_apply(&p, &f, ORDP_REFUSE, 0.002);
	ck_assert(!f.pos_known);	/* still nothing of ours on record */

	/* ... adopted: at once, and from then on it is ours */
	start(&f, &p, NULL);
	ck_assert_int_eq(judge(&p, 0.002, true, msg, sizeof(msg)), ORDP_ADOPT);
	ck_assert_ptr_nonnull(strstr(msg, "adopting"));
	ordp_apply(&p, &f, ORDP_ADOPT, 0.002);
	ck_assert(f.pos_known && f.pos == 0.002);

	/* a manual trade while we were dead, beside our own fill */
	start(&f, &p, "pmm-fills 1 safe=10 above= pos=0.004\n");
	x = fill_of(INST "-S2-abc", STRAT_SELL, 0.001);
	ordp_fill(&p, &f, &x, INST);
	x = fill_of("web_abc", STRAT_BUY, 0.003);
	ordp_fill(&p, &f, &x, INST);
	/* an id that merely starts with the instance is not ours */
	x = fill_of(INST "-2-B1-abc", STRAT_BUY, 0.001);
	ordp_fill(&p, &f, &x, INST);
	for (i = 1; i < ORDP_READS; i++)
		ck_assert_int_eq(judge(&p, 0.007, false, msg, sizeof(msg)),
		    ORDP_AGAIN);
	ck_assert_int_eq(judge(&p, 0.007, false, msg, sizeof(msg)),
	    ORDP_REFUSE);
	ck_assert_ptr_nonnull(strstr(msg, "others' +0.004"));
	/* our own fill is folded into what we left; the manual one not */
	ordp_apply(&p, &f, ORDP_REFUSE, 0.007);
	ck_assert_double_eq_tol(f.pos, 0.003, 1e-12);
	/* so the next start refuses again, without the catch-up's help */
	ordp_init(&p, &f);
	for (i = 1; i < ORDP_READS; i++)
		judge(&p, 0.007, false, msg, sizeof(msg));
	ck_assert_int_eq(judge(&p, 0.007, false, msg, sizeof(msg)),
	    ORDP_REFUSE);
	/* and accepts once the operator undid the manual trade */
	ordp_init(&p, &f);
	ck_assert_int_eq(judge(&p, 0.003, false, msg, sizeof(msg)), ORDP_OURS);
}
END_TEST

START_TEST(test_a_fill_on_its_way)
{
	struct ord_fills f;
	struct pmm_fill x;
	struct ord_pos p;
	char msg[256];

	/* our fill published after the read was sent: not judged */
	start(&f, &p, "pmm-fills 1 safe=10 above= pos=0.004\n");
	ordp_read_sent(&p);
	x = fill_of(INST "-B1-abc", STRAT_BUY, 0.001);
	ordp_fill(&p, &f, &x, INST);
	ck_assert_int_eq(ordp_check(&p, 0.004, STEP, false, "BTCUSDT", msg,
	    sizeof(msg)), ORDP_AGAIN);
	ck_assert_int_eq(judge(&p, 0.005, false, msg, sizeof(msg)), ORDP_OURS);

	/* the exchange's read holds a fill the stream has not brought yet:
	 * a disagreement is read again before anything is refused */
	start(&f, &p, "pmm-fills 1 safe=10 above= pos=0.004\n");
	ck_assert_int_eq(judge(&p, 0.005, false, msg, sizeof(msg)),
	    ORDP_AGAIN);
	ordp_fill(&p, &f, &x, INST);
	ck_assert_int_eq(judge(&p, 0.005, false, msg, sizeof(msg)), ORDP_OURS);

	/* a read crossed by fills for ever is judged in the end */
	start(&f, &p, "pmm-fills 1 safe=10 above= pos=0.004\n");
	x = fill_of("manual", STRAT_BUY, 0.001);
	for (;;) {
		ordp_read_sent(&p);
		ordp_fill(&p, &f, &x, INST);
		if (ordp_check(&p, 0.0, STEP, false, "BTCUSDT", msg,
		    sizeof(msg)) != ORDP_AGAIN)
			break;
		ck_assert_int_lt(p.crossed, ORDP_CROSSED);
	}
}
END_TEST

START_TEST(test_bad_input)
{
	struct ord_fills f;
	struct pmm_fill x;
	struct ord_pos p;
	char msg[256];

	start(&f, &p, "pmm-fills 1 safe=10 above= pos=0.004\n");
	ck_assert_int_eq(judge(&p, NAN, false, msg, sizeof(msg)),
	    ORDP_AGAIN);
	x = fill_of(INST "-B1-abc", STRAT_BUY, -1);
	ordp_fill(&p, &f, &x, INST);
	x = fill_of(INST "-B1-abc", STRAT_BUY, INFINITY);
	ordp_fill(&p, &f, &x, INST);
	ck_assert_double_eq(p.ours, 0);
	ck_assert_int_eq(judge(&p, 0.004, false, msg, sizeof(msg)), ORDP_OURS);
	/* no step known: float equality within 1e-9 */
	ordp_init(&p, &f);
	ordp_read_sent(&p);
	ck_assert_int_eq(ordp_check(&p, 0.004, 0, false, "BTCUSDT", msg,
	    sizeof(msg)), ORDP_OURS);
}
END_TEST

static Suite *
ord_pos_suite(void)
{
	Suite *s = suite_create("ord_pos");
	TCase *tc = tcase_create("check");

	tcase_add_test(tc, test_line_keeps_position);
	tcase_add_test(tc, test_flat_always_accepted);
	tcase_add_test(tc, test_what_we_left_plus_our_fills);
	tcase_add_test(tc, test_foreign_refused_unless_adopted);
	tcase_add_test(tc, test_a_fill_on_its_way);
	tcase_add_test(tc, test_bad_input);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(ord_pos_suite());
}
