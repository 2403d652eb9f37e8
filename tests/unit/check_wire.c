/*
 * check_wire.c — the pure parts of pmm-exchange's wire side: price
 * formatting, request parameters (query + form body, query wins, decoding,
 * the parameter cap) and the raw request-line capture behind signature
 * checks (fed through a real socket, since it sits under recv(2)).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "wire.h"
#include "check_run.h"

START_TEST(test_fmt)
{
	char	buf[64];

	wire_fmt(buf, sizeof(buf), 61800.2, 2);
	ck_assert_str_eq(buf, "61800.20");
	wire_fmt(buf, sizeof(buf), 0.01, 3);
	ck_assert_str_eq(buf, "0.010");
	wire_fmt(buf, sizeof(buf), 0, 2);
	ck_assert_str_eq(buf, "0.00");
	wire_fmt(buf, sizeof(buf), 7, 0);
	ck_assert_str_eq(buf, "7");
	wire_fmt(buf, sizeof(buf), -1.5, 3);
	ck_assert_str_eq(buf, "-1.500");
	wire_fmt(buf, sizeof(buf), -0.0001, 2);
	ck_assert_str_eq(buf, "0.00");		/* never "-0.00" */
	wire_fmt(buf, sizeof(buf), 0.12345678, 8);
	ck_assert_str_eq(buf, "0.12345678");
	wire_fmt(buf, sizeof(buf), 1e20, 2);	/* out of range: printf */
	ck_assert_str_eq(buf, "100000000000000000000.00");
}
END_TEST

/* A request as server.c would build it from lws's decoded fragments. */
static struct wire_req *
req_make(const char *const *frags, int n, const char *body)
{
	struct wire_req	*r = calloc(1, sizeof(*r));
	int		 i;

	r->qfrags = calloc((size_t)n + 1, sizeof(char *));
	for (i = 0; i < n; i++)
		r->qfrags[i] = strdup(frags[i]);
	r->nqfrags = n;
	if (body != NULL) {
		r->body = strdup(body);
		r->body_len = strlen(body);
	}
	return r;
}

static void
req_free(struct wire_req *r)
{
	wire_req_clear(r);
	free(r);
}

START_TEST(test_params_query_wins)
{
	const char	*q[] = { "symbol=BTCUSDT", "leverage=9" };
	struct wire_req	*r = req_make(q, 2,
	    "leverage=3&newClientOrderId=a%2Fb+c&empty=&flag");

	ck_assert_int_eq(rest_parse_params(r), 0);
	ck_assert_str_eq(wire_param(r, "symbol"), "BTCUSDT");
	ck_assert_str_eq(wire_param(r, "leverage"), "9");
	ck_assert_str_eq(wire_param(r, "newClientOrderId"), "a/b c");
	ck_assert_str_eq(wire_param(r, "empty"), "");
	ck_assert_str_eq(wire_param(r, "flag"), "");
	ck_assert_ptr_null(wire_param(r, "nothing"));
	req_free(r);
}
END_TEST

START_TEST(test_params_bad_escape_kept)
{
	struct wire_req	*r = req_make(NULL, 0, "a=%zz&b=%4&c=%41");

	ck_assert_int_eq(rest_parse_params(r), 0);
	ck_assert_str_eq(wire_param(r, "a"), "%zz");
	ck_assert_str_eq(wire_param(r, "b"), "%4");
	ck_assert_str_eq(wire_param(r, "c"), "A");
	req_free(r);
}
END_TEST

START_TEST(test_params_cap)
{
	char		 body[8192];
	struct wire_req	*r;
	int		 i, off = 0;

	for (i = 0; i < WIRE_MAX_PARAMS + 5; i++)
		off += snprintf(body + off, sizeof(body) - (size_t)off,
		    "%sp%d=%d", i ? "&" : "", i, i);
	r = req_make(NULL, 0, body);
	ck_assert_int_eq(rest_parse_params(r), -1);
	req_free(r);
}
END_TEST

/* Bytes go through the interposed recv() on a real socket pair. */
static int
feed(int fds[2], const char *s)
{
	char	buf[4096];
	ssize_t	n;

	ck_assert_int_eq((int)write(fds[1], s, strlen(s)), (int)strlen(s));
	n = recv(fds[0], buf, sizeof(buf), 0);
	return (int)n;
}

START_TEST(test_rawcap_exact_query)
{
	int	 fds[2];
	char	*q;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	rawcap_reset(fds[0]);
	feed(fds, "GET /fapi/v1/order?symbol=%42TCUSDT&x=a+b HTTP/1.1\r\n"
	    "Host: x\r\n\r\n");
	q = rawcap_query(fds[0], "GET", "/fapi/v1/order");
	ck_assert_ptr_nonnull(q);
	ck_assert_str_eq(q, "symbol=%42TCUSDT&x=a+b");
	free(q);
	/* consumed: the same line is not found twice */
	ck_assert_ptr_null(rawcap_query(fds[0], "GET", "/fapi/v1/order"));
	close(fds[0]);
	close(fds[1]);
}
END_TEST

START_TEST(test_rawcap_pipelined_and_split)
{
	int	 fds[2];
	char	*q;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	rawcap_reset(fds[0]);
	feed(fds, "POST /fapi/v1/order?a=1 HTTP/1.1\r\nContent-Length: 3"
	    "\r\n\r\nb=2GET /fapi/v1/ping HTTP/1.1\r\n\r\nDELETE /fapi/v1/or");
	q = rawcap_query(fds[0], "POST", "/fapi/v1/order");
	ck_assert_str_eq(q, "a=1");
	free(q);
	/* until the body is skipped, the next line does not start a line */
	ck_assert_ptr_null(rawcap_query(fds[0], "GET", "/fapi/v1/ping"));
	rawcap_skip(fds[0], 3);
	q = rawcap_query(fds[0], "GET", "/fapi/v1/ping");
	ck_assert_str_eq(q, "");
	free(q);
	/* the DELETE line is incomplete until the rest arrives */
	ck_assert_ptr_null(rawcap_query(fds[0], "DELETE", "/fapi/v1/order"));
	feed(fds, "der?orderId=7 HTTP/1.1\r\n\r\n");
	q = rawcap_query(fds[0], "DELETE", "/fapi/v1/order");
	ck_assert_str_eq(q, "orderId=7");
	free(q);
	/* a path that does not decode to the one asked for is not taken */
	feed(fds, "GET /fapi/v1/time?z=1 HTTP/1.1\r\n\r\n");
	ck_assert_ptr_null(rawcap_query(fds[0], "GET", "/fapi/v1/depth"));
	rawcap_stop(fds[0]);
	feed(fds, "GET /x?y=1 HTTP/1.1\r\n\r\n");
	ck_assert_ptr_null(rawcap_query(fds[0], "GET", "/x"));
	rawcap_reset(fds[0]);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

static Suite *
wire_suite(void)
{
	Suite	*s = suite_create("wire");
	TCase	*tc = tcase_create("core");

	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_fmt);
	tcase_add_test(tc, test_params_query_wins);
	tcase_add_test(tc, test_params_bad_escape_kept);
	tcase_add_test(tc, test_params_cap);
	tcase_add_test(tc, test_rawcap_exact_query);
	tcase_add_test(tc, test_rawcap_pipelined_and_split);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(wire_suite());
}
