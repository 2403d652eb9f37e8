/*
 * check_bn_sign.c — Binance HMAC-SHA256 signatures: the published test
 * vector, split query/body parts, and verification that rejects every
 * kind of wrong or malformed signature.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "bn_sign.h"
#include "check_run.h"

#define VEC_SECRET "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9"
#define VEC_MSG "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000" \
	"&timeInForce=GTC&recvWindow=5000&timestamp=1591702613943"
#define VEC_SIG "3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9"

START_TEST(test_vector)
{
	char	out[BN_SIG_HEXLEN + 1];

	ck_assert_int_eq(bn_sign_hex(VEC_SECRET, VEC_MSG, strlen(VEC_MSG), out),
	    0);
	ck_assert_str_eq(out, VEC_SIG);
}
END_TEST

/* Binance signs query string + body with nothing between them. */
START_TEST(test_parts_concatenate)
{
	const char	*parts[2] = { "symbol=BTCUSDT&side=BUY&type=LIMIT",
	    "&quantity=1&price=9000&timeInForce=GTC&recvWindow=5000"
	    "&timestamp=1591702613943" };
	size_t		 lens[2] = { strlen(parts[0]), strlen(parts[1]) };
	char		 out[BN_SIG_HEXLEN + 1];

	ck_assert_int_eq(bn_sign_parts(VEC_SECRET, parts, lens, 2, out), 0);
	ck_assert_str_eq(out, VEC_SIG);
	ck_assert_int_eq(bn_sign_verify_parts(VEC_SECRET, parts, lens, 2,
	    VEC_SIG), 1);
}
END_TEST

START_TEST(test_verify_accepts)
{
	ck_assert_int_eq(bn_sign_verify(VEC_SECRET, VEC_MSG, strlen(VEC_MSG),
	    VEC_SIG), 1);
	/* hex digits of either case name the same digest */
	ck_assert_int_eq(bn_sign_verify(VEC_SECRET, VEC_MSG, strlen(VEC_MSG),
	    "3C661234138461FCC7A7D8746C6558C9842D4E10870D2ECBEDF7777CAD694AF9"),
	    1);
}
END_TEST

START_TEST(test_verify_rejects)
{
	char	bad[BN_SIG_HEXLEN + 2];
	size_t	len = strlen(VEC_MSG);

	/* one digit changed */
	strcpy(bad, VEC_SIG);
	bad[10] = bad[10] == '0' ? '1' : '0';
	ck_assert_int_eq(bn_sign_verify(VEC_SECRET, VEC_MSG, len, bad), 0);
	/* wrong secret */
	ck_assert_int_eq(bn_sign_verify("x" VEC_SECRET, VEC_MSG, len, VEC_SIG),
	    0);
	/* message changed by one byte */
	ck_assert_int_eq(bn_sign_verify(VEC_SECRET, VEC_MSG, len - 1, VEC_SIG),
	    0);
	/* too short, too long, not hex, empty, NULL */
	ck_assert_int_eq(bn_sign_verify(VEC_SECRET, VEC_MSG, len,
	    "3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af"),
	    0);
	strcpy(bad, VEC_SIG);
	strcat(bad, "0");
	ck_assert_int_eq(bn_sign_verify(VEC_SECRET, VEC_MSG, len, bad), 0);
	strcpy(bad, VEC_SIG);
	bad[0] = 'g';
	ck_assert_int_eq(bn_sign_verify(VEC_SECRET, VEC_MSG, len, bad), 0);
	ck_assert_int_eq(bn_sign_verify(VEC_SECRET, VEC_MSG, len, ""), 0);
	ck_assert_int_eq(bn_sign_verify(VEC_SECRET, VEC_MSG, len, NULL), 0);
}
END_TEST

START_TEST(test_empty_message)
{
	char	out[BN_SIG_HEXLEN + 1];

	/* HMAC of an empty message is defined; a GET with no params signs "". */
	ck_assert_int_eq(bn_sign_hex(VEC_SECRET, "", 0, out), 0);
	ck_assert_int_eq((int)strlen(out), BN_SIG_HEXLEN);
	ck_assert_int_eq(bn_sign_verify(VEC_SECRET, "", 0, out), 1);
	ck_assert_int_eq(bn_sign_hex(NULL, "", 0, out), -1);
}
END_TEST

static Suite *
bn_sign_suite(void)
{
	Suite	*s = suite_create("bn_sign");
	TCase	*tc = tcase_create("core");

	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_vector);
	tcase_add_test(tc, test_parts_concatenate);
	tcase_add_test(tc, test_verify_accepts);
	tcase_add_test(tc, test_verify_rejects);
	tcase_add_test(tc, test_empty_message);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(bn_sign_suite());
}
