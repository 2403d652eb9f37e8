/*
 * bench_prom.c — what a Prometheus scrape costs the logger.
 *
 * A scrape is served inside the logger's loop (services/promhttp.c): the
 * loop is busy for one render of the whole segment (services/prom.c) plus
 * the HTTP write. This times prom_render on a segment as full as a quoting
 * tree makes it (20 levels a side open, histograms filled, every section
 * published), beside the bare cost of copying the same sections out of the
 * segment (the part of a render no exposition format can avoid), and says
 * how big the text is. The order path never waits for it: the logger is
 * not on it. Prints figures, asserts none.
 *
 * usage: bench_prom [renders]	(default 20000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prom.h"
#include "timeutil.h"

static void
bench_fill(struct prom_in *in, struct prom_fills *f, struct cfg *c)
{
	struct pmm_fill x;
	uint32_t i;

	cfg_defaults(c);
	memset(in, 0, sizeof(*in));
	in->c = c;
	in->base = "BTC";
	in->quote = "USDT";
	in->f = f;
	in->have_m = in->have_o = in->have_k = in->have_p = 1;
	in->m.bid = 60000.0, in->m.ask = 60000.1, in->m.mid = 60000.05;
	in->m.mark_price = 60001.3, in->m.updates = 123456;
	in->m.recv_ts_ns = 1;
	for (i = 0; i < 40; i++)
		in->o.open[i].side = (uint8_t)(i & 1),
		in->o.open[i].level = (uint8_t)(i / 2 + 1),
		in->o.open[i].price = 60000 + (i & 1 ? 1 : -1) * (i / 2 + 1) * 6.0,
		in->o.open[i].qty = 0.002;
	in->o.n_open = 40;
	for (i = 0; i < 1000; i++) {
		shm_lat_record(&in->o.rest_rtt, (i % 97) / 1000.0);
		shm_lat_record(&in->m.md_latency, (i % 13) / 1000.0);
	}
	in->k.position = -0.004, in->k.position_notional = -240;
	in->k.entry_price = 60010, in->k.unrealized_pnl = 0.04;
	in->k.realized_pnl = 3.2, in->k.wallet_balance = 100000;
	for (i = 0; i < SVC_COUNT; i++) {
		in->p.p[i].state = PROC_READY;
		in->have_hb[i] = 1;
		in->hb[i].beat_ns = 1;
	}
	memset(f, 0, sizeof(*f));
	memset(&x, 0, sizeof(x));
	snprintf(x.fee_asset, sizeof(x.fee_asset), "USDT");
	for (i = 0; i < 100; i++) {
		x.side = (uint8_t)(i & 1), x.maker = i % 5 != 0;
		x.price = 60000, x.qty = 0.002, x.fee = 0.024;
		prom_fill(f, &x, "USDT");
	}
}

int
main(int argc, char **argv)
{
	static struct shm_state seg;
	struct prom_in in, copy;
	struct prom_fills f;
	struct text_buf b;
	struct cfg c;
	int n = argc > 1 ? atoi(argv[1]) : 20000, i, lines;
	int64_t t0, t1, t2;
	volatile size_t sink = 0;

	if (n <= 0)
		n = 20000;
	bench_fill(&in, &f, &c);
	memset(&b, 0, sizeof(b));
	/* baseline: copy every section the render reads, n times */
	SHM_PUBLISH(&seg.market, &in.m);
	SHM_PUBLISH(&seg.orders, &in.o);
	SHM_PUBLISH(&seg.risk, &in.k);
	SHM_PUBLISH(&seg.procs, &in.p);
	t0 = now_mono_ns();
	for (i = 0; i < n; i++) {
		SHM_SNAPSHOT(&seg.market, &copy.m);
		SHM_SNAPSHOT(&seg.orders, &copy.o);
		SHM_SNAPSHOT(&seg.risk, &copy.k);
		SHM_SNAPSHOT(&seg.procs, &copy.p);
		sink += copy.o.n_open;
	}
	t1 = now_mono_ns();
	for (i = 0; i < n; i++) {
		in.scrapes = (uint64_t)i + 1;
		if (prom_render(&in, &b) == -1)
			return 1;
		sink += b.len;
	}
	t2 = now_mono_ns();
	for (i = 0, lines = 0; (size_t)i < b.len; i++)
		lines += b.p[i] == '\n';
	printf("prom_render, full segment (40 orders, histograms)  %8.2f us "
	    "per scrape, %zu bytes, %d lines\n", (t2 - t1) / 1e3 / n, b.len,
	    lines);
	printf("baseline: snapshot of the same sections            %8.2f us\n",
	    (t1 - t0) / 1e3 / n);
	text_buf_free(&b);
	return sink == 0;
}
