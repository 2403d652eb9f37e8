/*
 * check_log.c — unit tests for common/log.c: level prefixes and the rate
 * limit per call site (burst, refill, the summary line and its count).
 *
 * stderr is redirected to a temporary file the test reads back, and the
 * limiter's clock is a variable the test moves by hand: no sleeps, nothing
 * depends on how fast the machine is.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "timeutil.h"
#include "check_run.h"

static struct {
	int64_t	 now;		/* the fake clock */
	FILE	*out;		/* what was written to stderr */
	int	 saved_fd;
	char	 buf[1 << 20];
} t;

static int64_t
fake_clock(void)
{
	return t.now;
}

static void
setup(void)
{
	fflush(stderr);
	t.saved_fd = dup(STDERR_FILENO);
	ck_assert_ptr_nonnull(t.out = tmpfile());
	ck_assert_int_ge(dup2(fileno(t.out), STDERR_FILENO), 0);
	log_init("test", LOG_LVL_INFO);	/* not a tty: "<4>test: " */
	log_reset_limits();
	log_set_clock(fake_clock);
	t.now = 1000 * NS_PER_S;
}

static void
teardown(void)
{
	dup2(t.saved_fd, STDERR_FILENO);
	close(t.saved_fd);
	fclose(t.out);
	log_set_clock(NULL);
}

/* Everything written so far, and how many lines. */
static int
output(void)
{
	size_t	n;
	int	lines = 0;

	fflush(t.out);
	rewind(t.out);
	n = fread(t.buf, 1, sizeof(t.buf) - 1, t.out);
	t.buf[n] = '\0';
	for (char *p = t.buf; *p; p++)
		lines += *p == '\n';
	return lines;
}

/* How many lines contain s. */
static int
count(const char *s)
{
	int	n = 0;

	output();
	for (char *p = t.buf; (p = strstr(p, s)) != NULL; p += strlen(s))
		n++;
	return n;
}

/* The number in the last "(N lines like this one suppressed" line. */
static unsigned long long
summed(void)
{
	const char		*p, *last = NULL;
	unsigned long long	 n = 0;

	output();
	for (p = t.buf; (p = strstr(p, " (")) != NULL; p++)
		if (strstr(p, "like this one suppressed") != NULL)
			last = p;
	if (last != NULL)
		sscanf(last, " (%llu", &n);
	return n;
}

START_TEST(test_prefix)
{
	log_warnx("hello %d", 42);
	log_debug("not at info");
	errno = ENOENT;
	log_warn("open %s", "x");
	ck_assert_int_eq(output(), 2);
	ck_assert_str_eq(t.buf, "<4>test: hello 42\n"
	    "<4>test: open x: No such file or directory\n");
}
END_TEST

/* 1000 lines a second for 10 s from one site: a few dozen lines, counted. */
START_TEST(test_storm_one_site)
{
	int	i, lines, shown;

	for (i = 0; i < 10000; i++) {
		log_warnx("GET %s: no API key configured", "/fapi/v2/positionRisk");
		t.now += NS_PER_MS;
	}
	t.now += LOG_RL_SUMMARY_NS;	/* the storm is over: its count */
	log_tick();
	lines = output();
	shown = count("no API key configured\n");
	ck_assert_msg(lines < 40, "%d lines for a 10 s storm", lines);
	/* the burst, then one a refill, then the summary */
	ck_assert_int_ge(shown, LOG_RL_BURST);
	ck_assert_int_le(shown, LOG_RL_BURST + 10 * NS_PER_S /
	    LOG_RL_REFILL_NS + 1);
	ck_assert_int_eq(count("like this one suppressed in the last"), 1);
	ck_assert_int_eq(shown + summed(), 10000);
}
END_TEST

/* A storm from one site does not silence another. */
START_TEST(test_sites_apart)
{
	int	i;

	for (i = 0; i < 1000; i++)
		log_warnx("storm %d", i);
	log_info("the one line that matters");
	ck_assert_int_eq(count("the one line that matters"), 1);
	ck_assert_int_eq(count("storm"), LOG_RL_BURST);
}
END_TEST

/* A line at the refill rate or slower is never held back. */
START_TEST(test_steady_passes)
{
	int	i;

	for (i = 0; i < 200; i++) {
		log_info("tick %d", i);
		t.now += LOG_RL_REFILL_NS;
	}
	log_tick();
	ck_assert_int_eq(output(), 200);
	ck_assert_int_eq(count("suppressed"), 0);
}
END_TEST

/*
 * The summary comes LOG_RL_SUMMARY_NS after the first line left out, from
 * log_tick() when the site went quiet, exactly once; then the site starts
 * afresh once its credit is back.
 */
START_TEST(test_summary_on_tick)
{
	int	i;

	for (i = 0; i < LOG_RL_BURST + 30; i++)
		log_warnx("burst %d", i);
	ck_assert_int_eq(output(), LOG_RL_BURST);
	t.now += LOG_RL_SUMMARY_NS - 1;
	log_tick();
	ck_assert_int_eq(output(), LOG_RL_BURST);	/* not due yet */
	t.now += 1;
	log_tick();
	ck_assert_int_eq(output(), LOG_RL_BURST + 1);
	ck_assert_int_eq(summed(), 30);
	ck_assert_int_eq(count("<4>test: burst 49 (30 lines like this one "
	    "suppressed in the last 10.0 s)\n"), 1);
	t.now += 100 * NS_PER_S;
	log_tick();
	ck_assert_int_eq(output(), LOG_RL_BURST + 1);
	for (i = 0; i < LOG_RL_BURST; i++)
		log_warnx("burst %d", i);
	ck_assert_int_eq(output(), 2 * LOG_RL_BURST + 1);
}
END_TEST

/* The next line of any site brings a due summary out too. */
START_TEST(test_summary_on_next_line)
{
	int	i;

	for (i = 0; i < LOG_RL_BURST + 5; i++)
		log_warnx("first site %d", i);
	t.now += LOG_RL_SUMMARY_NS;
	log_info("another site");
	ck_assert_int_eq(summed(), 5);
	ck_assert_int_eq(output(), LOG_RL_BURST + 2);
}
END_TEST

/* log_flush says what is pending at once (before a last line, or exit). */
START_TEST(test_flush)
{
	int	i;

	for (i = 0; i < LOG_RL_BURST + 3; i++)
		log_warnx("pending %d", i);
	t.now += NS_PER_MS;
	log_flush();
	ck_assert_int_eq(summed(), 3);
	ck_assert_int_eq(count("in the last 0.0 s"), 1);
	log_flush();
	ck_assert_int_eq(output(), LOG_RL_BURST + 1);
}
END_TEST

/* Lines below the level are neither written nor counted. */
START_TEST(test_level_not_counted)
{
	int	i;

	for (i = 0; i < 1000; i++)
		log_debug("quiet %d", i);
	log_setlevel(LOG_LVL_DEBUG);
	for (i = 0; i < LOG_RL_BURST; i++)
		log_debug("quiet %d", i);
	t.now += LOG_RL_SUMMARY_NS;
	log_tick();
	ck_assert_int_eq(output(), LOG_RL_BURST);
	ck_assert_int_eq(count("suppressed"), 0);
}
END_TEST

/* More sites than the table holds: the oldest gives way, nothing breaks,
 * and what it had left out is counted on the way. */
START_TEST(test_table_full)
{
	static char	fmts[LOG_RL_SITES + 8][32];
	int		i, j;

	for (i = 0; i < LOG_RL_SITES + 8; i++)
		snprintf(fmts[i], sizeof(fmts[i]), "site %d line %%d", i);
	for (j = 0; j < LOG_RL_BURST + 1; j++)
		log_warnx(fmts[0], j);		/* one left out */
	for (i = 1; i < LOG_RL_SITES + 8; i++) {
		t.now += 1;
		log_warnx(fmts[i], 0);
	}
	ck_assert_int_eq(count("site 0 line 20 (1 line like this one "
	    "suppressed"), 1);
	ck_assert_int_eq(output(), LOG_RL_BURST + 1 + LOG_RL_SITES + 7);
}
END_TEST

static Suite *
log_suite(void)
{
	Suite	*s = suite_create("log");
	TCase	*tc = tcase_create("limit");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_prefix);
	tcase_add_test(tc, test_storm_one_site);
	tcase_add_test(tc, test_sites_apart);
	tcase_add_test(tc, test_steady_passes);
	tcase_add_test(tc, test_summary_on_tick);
	tcase_add_test(tc, test_summary_on_next_line);
	tcase_add_test(tc, test_flush);
	tcase_add_test(tc, test_level_not_counted);
	tcase_add_test(tc, test_table_full);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(log_suite());
}
