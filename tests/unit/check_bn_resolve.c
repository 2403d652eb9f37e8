/*
 * check_bn_resolve.c — host name lookups off the caller's thread
 * (common/binance/bn_resolve.c): literals need no lookup; localhost resolves to an
 * IPv4 address first; lookups held by a resolver that does not answer
 * neither block the caller nor exceed BN_RESOLVE_MAX; each answer arrives
 * once, with its own id, and wakes the fd; a resolver freed while lookups
 * still run is not written into when they finish.
 */
#include <check.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bn_resolve.h"
#include "check_run.h"

/* The stand-in resolver blocks until the test writes a byte per lookup. */
static int gate[2] = { -1, -1 };

static int
gated(const char *host, char *addr, size_t alen, char *err, size_t elen)
{
	char b;

	if (read(gate[0], &b, 1) != 1) {
		snprintf(err, elen, "gate closed");
		return -1;
	}
	if (strcmp(host, "no.such.host") == 0) {
		snprintf(err, elen, "%s: Name or service not known", host);
		return -1;
	}
	snprintf(addr, alen, "127.0.0.%c", b);
	return 0;
}

static int
readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1;
}

static void
open_gate(void)
{
	ck_assert_int_eq(pipe(gate), 0);
}

START_TEST(test_literal)
{
	ck_assert(bn_resolve_literal("127.0.0.1"));
	ck_assert(bn_resolve_literal("::1"));
	ck_assert(bn_resolve_literal("2001:db8::7"));
	ck_assert(!bn_resolve_literal("fstream.binance.com"));
	ck_assert(!bn_resolve_literal("localhost"));
	ck_assert(!bn_resolve_literal("127.0.0.1:443"));
	ck_assert(!bn_resolve_literal(""));
}
END_TEST

START_TEST(test_localhost)
{
	char addr[BN_RESOLVE_ADDRLEN], err[96];

	ck_assert_int_eq(bn_resolve_getaddrinfo("localhost", addr,
	    sizeof(addr), err, sizeof(err)), 0);
	ck_assert_str_eq(addr, "127.0.0.1");
	ck_assert_int_eq(bn_resolve_getaddrinfo("127.0.0.9", addr,
	    sizeof(addr), err, sizeof(err)), 0);
	ck_assert_str_eq(addr, "127.0.0.9");
}
END_TEST

START_TEST(test_threaded_lookups)
{
	struct bn_resolver *r;
	struct bn_resolve_answer a;
	char err[96];
	uint64_t id[BN_RESOLVE_MAX];
	int i, seen = 0;

	open_gate();
	ck_assert_ptr_nonnull(r = bn_resolver_new(gated));
	for (i = 0; i < BN_RESOLVE_MAX; i++)
		ck_assert_uint_ne(id[i] = bn_resolver_start(r, i == 1 ?
		    "no.such.host" : "exchange.test", err, sizeof(err)), 0);
	/* all held: the caller is not, and there is no room for a fifth */
	ck_assert(!readable(bn_resolver_fd(r), 0));
	ck_assert_int_eq(bn_resolver_next(r, &a), 0);
	ck_assert_uint_eq(bn_resolver_start(r, "one.more", err, sizeof(err)),
	    0);
	ck_assert_msg(strstr(err, "unanswered") != NULL, "%s", err);
	/* let them answer, one byte each: the address says which byte */
	ck_assert_int_eq(write(gate[1], "5555", BN_RESOLVE_MAX),
	    BN_RESOLVE_MAX);
	while (seen < BN_RESOLVE_MAX) {
		ck_assert(readable(bn_resolver_fd(r), 10000));
		while (bn_resolver_next(r, &a)) {
			for (i = 0; i < BN_RESOLVE_MAX && id[i] != a.id; i++)
				;
			ck_assert_int_lt(i, BN_RESOLVE_MAX);
			id[i] = 0;	/* once each */
			if (i == 1) {
				ck_assert(!a.ok);
				ck_assert_msg(strstr(a.err, "not known") != NULL,
				    "%s", a.err);
			} else {
				ck_assert(a.ok);
				ck_assert_str_eq(a.addr, "127.0.0.5");
			}
			seen++;
		}
	}
	/* answered, so there is room again */
	ck_assert_uint_ne(bn_resolver_start(r, "again", err, sizeof(err)), 0);
	ck_assert_int_eq(write(gate[1], "7", 1), 1);
	ck_assert(readable(bn_resolver_fd(r), 10000));
	ck_assert_int_eq(bn_resolver_next(r, &a), 1);
	ck_assert_str_eq(a.addr, "127.0.0.7");
	bn_resolver_free(r);
}
END_TEST

START_TEST(test_free_while_held)
{
	struct bn_resolver *r;
	char err[96];

	open_gate();
	ck_assert_ptr_nonnull(r = bn_resolver_new(gated));
	ck_assert_uint_ne(bn_resolver_start(r, "late.host", err, sizeof(err)),
	    0);
	bn_resolver_free(r);
	/* the lookup finishes after its caller is gone: it must only fail
	 * to deliver (ASan and valgrind watch this) */
	ck_assert_int_eq(write(gate[1], "1", 1), 1);
	usleep(200 * 1000);
}
END_TEST

static Suite *
bn_resolve_suite(void)
{
	Suite *s = suite_create("bn_resolve");
	TCase *tc = tcase_create("resolve");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_literal);
	tcase_add_test(tc, test_localhost);
	tcase_add_test(tc, test_threaded_lookups);
	tcase_add_test(tc, test_free_while_held);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(bn_resolve_suite());
}
