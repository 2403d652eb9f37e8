/*
 * fuzz_msg.c — libFuzzer target for the bus codec.
 *
 * Any bytes: msg_decode refuses or accepts them without crashing, leaking
 * or reading out of bounds. What it accepts must re-encode, decode again to
 * the same message, and re-encode to the same bytes: a stable round trip.
 *
 * Seed corpus: run with PMM_FUZZ_SEEDS=<dir> to write one valid frame of
 * every message type (two variants each) into <dir> and exit, then fuzz:
 *	PMM_FUZZ_SEEDS=corpus ./fuzz_msg
 *	./fuzz_msg -max_total_time=60 corpus
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"

int	LLVMFuzzerInitialize(int *argc, char ***argv);
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
seed_text(char *dst, size_t cap, int longest, const char *s)
{
	if (longest) {
		memset(dst, 'x', cap - 1);
		dst[cap - 1] = '\0';
	} else
		snprintf(dst, cap, "%s", s);
}

/* A plausible message of type t; variant 1 has the longest texts. */
static void
seed_msg(struct pmm_msg *m, int t, int v)
{
	memset(m, 0, sizeof(*m));
	m->env = (struct pmm_env){ PMM_PROTO_VERSION, (uint8_t)t, 1,
	    (uint64_t)(100 + t), 1723075200000000000LL + t };
	switch (t) {
	case PMM_MSG_HELLO:
		m->u.hello = (struct pmm_hello){ 2, 4242 };
		break;
	case PMM_MSG_HEARTBEAT:
		m->u.heartbeat.beats = v ? UINT64_MAX : 17;
		break;
	case PMM_MSG_PAUSE:
		seed_text(m->u.pause.text, PMM_TEXT_MAX, v, "operator");
		break;
	case PMM_MSG_TICK:
		m->u.tick = (struct pmm_tick){ 61000.1, 1.234, 61000.2, 0.5,
		    1723075199999000000LL, 1723075200000100000LL, 4812345678 };
		break;
	case PMM_MSG_FILL:
		seed_text(m->u.fill.client_id, PMM_ID_MAX, v, "pmm-b1-000042");
		seed_text(m->u.fill.fee_asset, sizeof(m->u.fill.fee_asset), v,
		    "USDT");
		m->u.fill.order_id = 8389765543210LL;
		m->u.fill.side = 1;
		m->u.fill.level = 2;
		m->u.fill.price = 61001.5;
		m->u.fill.qty = 0.002;
		m->u.fill.fee = 0.0244;
		m->u.fill.maker = true;
		m->u.fill.realized_pnl = -1.25;
		m->u.fill.trade_ts_ns = 1723075200000000000LL;
		break;
	case PMM_MSG_ORDER_EVENT:
		m->u.order.kind = ORD_REJECTED;
		seed_text(m->u.order.client_id, PMM_ID_MAX, v, "pmm-a3-000007");
		m->u.order.side = 0;
		m->u.order.level = 3;
		m->u.order.price = 60990.0;
		m->u.order.qty = 0.002;
		m->u.order.code = -2019;
		seed_text(m->u.order.text, PMM_TEXT_MAX, v,
		    "Margin is insufficient.");
		break;
	case PMM_MSG_RISK_ACTION:
		m->u.risk = (struct pmm_risk_action){ RISK_FLATTEN, -0.004,
		    244.0, 200.0, "" };
		seed_text(m->u.risk.text, PMM_TEXT_MAX, v, "position limit");
		break;
	case PMM_MSG_SVC_EVENT:
		m->u.svc = (struct pmm_svc_event){ 1, SVCEV_DIED, 4243, 9, "" };
		seed_text(m->u.svc.text, PMM_TEXT_MAX, v, "killed by signal 9");
		break;
	}
}

static void
seed_write(const char *dir)
{
	struct pmm_msg	m;
	char		buf[PMM_MSG_MAX], path[512];
	ssize_t		n;
	int		t, v, fd;

	for (t = PMM_MSG_HELLO; t < PMM_MSG_COUNT; t++)
		for (v = 0; v < 2; v++) {
			seed_msg(&m, t, v);
			if ((n = msg_encode(&m, buf, sizeof(buf))) < 0) {
				fprintf(stderr, "cannot encode %s\n",
				    msg_type_name(t));
				exit(1);
			}
			snprintf(path, sizeof(path), "%s/%s-%d", dir,
			    msg_type_name(t), v);
			fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
			if (fd == -1 || write(fd, buf, (size_t)n) != n) {
				perror(path);
				exit(1);
			}
			close(fd);
		}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char	*dir = getenv("PMM_FUZZ_SEEDS");

	(void)argc;
	(void)argv;
	if (dir != NULL && *dir != '\0') {
		seed_write(dir);
		exit(0);
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pmm_msg	m1, m2;
	char		a[PMM_MSG_MAX], b[PMM_MSG_MAX], err[160];
	ssize_t		na, nb;

	if (msg_decode((const char *)data, size, &m1, err, sizeof(err)) == -1)
		return 0;
	/* the decoder's output is always something the encoder accepts */
	if ((na = msg_encode(&m1, a, sizeof(a))) < 0)
		abort();
	if (msg_decode(a, (size_t)na, &m2, err, sizeof(err)) == -1)
		abort();
	if (memcmp(&m1, &m2, sizeof(m1)) != 0)
		abort();
	nb = msg_encode(&m2, b, sizeof(b));
	if (nb != na || memcmp(a, b, (size_t)na) != 0)
		abort();
	return 0;
}
