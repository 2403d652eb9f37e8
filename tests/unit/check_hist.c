/*
 * check_hist.c — the latency histogram: percentiles within the promised
 * 1/64 relative error over the whole int64 range, exact small values,
 * min/max/mean, merge, and the edge cases (empty, negative, huge).
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hist.h"

static struct hist	h, h2;

static void
assert_close(int64_t got, int64_t want)
{
	double	err = fabs((double)got - (double)want);

	ck_assert_msg(err <= (double)want / 64.0 + 0.5,
	    "got %lld, want %lld", (long long)got, (long long)want);
}

START_TEST(test_uniform_percentiles)
{
	int64_t	v;

	hist_init(&h);
	for (v = 1; v <= 100000; v++)
		hist_record(&h, v * 10);
	ck_assert_uint_eq(h.count, 100000);
	assert_close(hist_percentile(&h, 50), 500000);
	assert_close(hist_percentile(&h, 90), 900000);
	assert_close(hist_percentile(&h, 99), 990000);
	assert_close(hist_percentile(&h, 99.9), 999000);
	ck_assert_int_eq(hist_percentile(&h, 100), 1000000);
	ck_assert_int_eq(hist_percentile(&h, 0), 10);
	ck_assert_int_eq(h.min, 10);
	ck_assert_int_eq(h.max, 1000000);
	ck_assert(fabs(hist_mean(&h) - 500005.0) < 1e-6);
}
END_TEST

/* Below 64 ns every value has its own bucket. */
START_TEST(test_small_values_exact)
{
	int64_t	v;

	for (v = 0; v < 64; v++) {
		hist_init(&h);
		hist_record(&h, v);
		ck_assert_int_eq(hist_percentile(&h, 50), v);
	}
	hist_init(&h);
	hist_record(&h, 3);
	hist_record(&h, 5);
	hist_record(&h, 7);
	hist_record(&h, 9);
	ck_assert_int_eq(hist_percentile(&h, 50), 5);
	ck_assert_int_eq(hist_percentile(&h, 75), 7);
	ck_assert_int_eq(hist_percentile(&h, 76), 9);
}
END_TEST

/* Every octave up to the top of int64 stays within 1/64. */
START_TEST(test_error_bound_all_octaves)
{
	int	bit, k;
	int64_t	v;

	for (bit = 6; bit < 63; bit++)
		for (k = 0; k < 4; k++) {
			v = (int64_t)((1ULL << bit) + (1ULL << bit) / 4 * k +
			    (uint64_t)k * 7);
			hist_init(&h);
			hist_record(&h, v);
			hist_record(&h, v);
			/* one sample: clamped to it; check the bucket itself */
			ck_assert_int_eq(hist_percentile(&h, 50), v);
			hist_record(&h, 0);
			hist_record(&h, INT64_MAX);
			assert_close(hist_percentile(&h, 50), v);
		}
	hist_init(&h);
	hist_record(&h, INT64_MAX);
	ck_assert_int_eq(hist_percentile(&h, 99), INT64_MAX);
}
END_TEST

START_TEST(test_edges)
{
	char	buf[32];

	hist_init(&h);
	ck_assert_int_eq(hist_percentile(&h, 50), 0);
	ck_assert(hist_mean(&h) == 0.0);
	hist_record(&h, -5);		/* a clock step counts as zero */
	ck_assert_int_eq(h.min, 0);
	ck_assert_int_eq(hist_percentile(&h, 50), 0);
	ck_assert_str_eq(hist_fmt_ns(buf, sizeof(buf), 850), "850ns");
	ck_assert_str_eq(hist_fmt_ns(buf, sizeof(buf), 1234), "1.23us");
	ck_assert_str_eq(hist_fmt_ns(buf, sizeof(buf), 12.5e6), "12.50ms");
	ck_assert_str_eq(hist_fmt_ns(buf, sizeof(buf), 3e9), "3.00s");
}
END_TEST

START_TEST(test_merge)
{
	int64_t	v;

	hist_init(&h);
	hist_init(&h2);
	for (v = 1; v <= 1000; v++)
		hist_record(v % 2 ? &h : &h2, v * 1000);
	hist_merge(&h, &h2);
	ck_assert_uint_eq(h.count, 1000);
	ck_assert_int_eq(h.min, 1000);
	ck_assert_int_eq(h.max, 1000000);
	assert_close(hist_percentile(&h, 50), 500000);
	hist_init(&h2);
	hist_merge(&h, &h2);		/* an empty one changes nothing */
	ck_assert_int_eq(h.min, 1000);
	ck_assert_uint_eq(h.count, 1000);
}
END_TEST

START_TEST(test_print)
{
	char	*out = NULL;
	size_t	 len = 0;
	FILE	*f = open_memstream(&out, &len);

	hist_init(&h);
	hist_record(&h, 2500);
	hist_print(f, "hop", &h);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(out, "hop"));
	ck_assert_ptr_nonnull(strstr(out, "n=1"));
	ck_assert_ptr_nonnull(strstr(out, "p50=2.50us"));
	ck_assert_ptr_nonnull(strstr(out, "max=2.50us"));
	free(out);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("hist");
	TCase	*tc = tcase_create("hist");
	SRunner	*sr;
	int	 failed;

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_uniform_percentiles);
	tcase_add_test(tc, test_small_values_exact);
	tcase_add_test(tc, test_error_bound_all_octaves);
	tcase_add_test(tc, test_edges);
	tcase_add_test(tc, test_merge);
	tcase_add_test(tc, test_print);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
