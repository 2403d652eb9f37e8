/*
 * check_text.c — text_clean: printable UTF-8 kept, control characters,
 * terminal escapes and every kind of ill-formed UTF-8 replaced, never a
 * character cut in half, in place or into a short buffer.
 */
#include <check.h>
#include <string.h>

#include "text.h"
#include "check_run.h"

static void
clean_is(const char *in, int flags, const char *want)
{
	char out[256];

	text_clean(out, sizeof(out), in, flags);
	ck_assert_msg(strcmp(out, want) == 0, "clean(%s) = \"%s\", want \"%s\"",
	    in, out, want);
	ck_assert(text_is_clean(out, flags));
}

START_TEST(test_printable_kept)
{
	clean_is("maintenance window", 0, "maintenance window");
	clean_is("\xe2\x82\xac p\xc3\xbcnkt \xf0\x9f\x9a\x80", 0,
	    "\xe2\x82\xac p\xc3\xbcnkt \xf0\x9f\x9a\x80");	/* € pünkt 🚀 */
	clean_is("", 0, "");
	ck_assert(text_is_clean("plain, \"quoted\"", 0));
}
END_TEST

START_TEST(test_controls_replaced)
{
	/* a terminal escape: clear screen, red */
	clean_is("\x1b[2J\x1b[31mred", 0, "?[2J?[31mred");
	clean_is("bell\a tab\t del\x7f", 0, "bell? tab? del?");
	clean_is("a\nb\rc", 0, "a?b?c");
	clean_is("a\nb\rc", TEXT_KEEP_NEWLINES, "a\nb\rc");
	/* C1 controls, e.g. U+009B (CSI) encoded in UTF-8 */
	clean_is("x\xc2\x9b" "31my", 0, "x?31my");
	ck_assert(!text_is_clean("\x1b", 0));
}
END_TEST

START_TEST(test_invalid_utf8_replaced)
{
	clean_is("\xff\xfe", 0, "??");			/* never valid */
	clean_is("\xc0\xaf", 0, "??");			/* overlong '/' */
	clean_is("\xe0\x80\xaf", 0, "???");		/* overlong */
	clean_is("\xed\xa0\x80", 0, "???");		/* a surrogate */
	clean_is("\xf4\x90\x80\x80", 0, "????");	/* past U+10FFFF */
	clean_is("ab\xe2\x82", 0, "ab??");		/* truncated */
	clean_is("\x80x", 0, "?x");			/* lone continuation */
	clean_is("\xc3(", 0, "?(");
	ck_assert(!text_is_clean("\xc3", 0));
}
END_TEST

START_TEST(test_bounds_and_in_place)
{
	char buf[8], s[32];

	/* "€€€" is 9 bytes: only whole characters fit in 8 */
	ck_assert_uint_eq(text_clean(buf, sizeof(buf),
	    "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac", 0), 6);
	ck_assert_str_eq(buf, "\xe2\x82\xac\xe2\x82\xac");
	ck_assert_uint_eq(text_clean(buf, 1, "abc", 0), 0);
	ck_assert_str_eq(buf, "");
	strcpy(s, "in\x1bplace\xff ok");
	ck_assert_uint_eq(text_clean(s, sizeof(s), s, 0), 12);
	ck_assert_str_eq(s, "in?place? ok");
}
END_TEST

/* The growing text the Prometheus scrape and the report page are written
 * into: empty when zeroed, grows by doubling past its first 4 KB, keeps
 * every byte in order. */
START_TEST(test_buf)
{
	struct text_buf b;
	size_t i;

	memset(&b, 0, sizeof(b));
	for (i = 0; i < 1000; i++)
		text_buf_printf(&b, "%04zu|", i);
	ck_assert_int_eq(b.oom, 0);
	ck_assert_uint_eq(b.len, 5000);
	ck_assert_uint_eq(strlen(b.p), 5000);
	ck_assert_uint_eq(b.cap, 8192);
	ck_assert(strncmp(b.p, "0000|0001|", 10) == 0);
	ck_assert_str_eq(b.p + 4995, "0999|");
	text_buf_printf(&b, "%s", "");
	ck_assert_uint_eq(b.len, 5000);
	text_buf_free(&b);
	ck_assert_ptr_null(b.p);
	ck_assert_uint_eq(b.len, 0);
}
END_TEST

static Suite *
text_suite(void)
{
	Suite *s = suite_create("text");
	TCase *tc = tcase_create("clean");

	tcase_add_test(tc, test_printable_kept);
	tcase_add_test(tc, test_controls_replaced);
	tcase_add_test(tc, test_invalid_utf8_replaced);
	tcase_add_test(tc, test_bounds_and_in_place);
	tcase_add_test(tc, test_buf);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(text_suite());
}
