/*
 * mkt_bin.c — the compact binary form of a recording (`pmm-backtest
 * convert`): the same events as the gzip JSON lines, already parsed into
 * ticks and lots, in fixed-size little-endian records that a replay reads
 * straight from an mmap'd file instead of gunzipping and parsing JSON.
 *
 * Layout (every integer little-endian; the format is checked, never
 * trusted: a short, long or damaged file is refused with the record):
 *
 *   header, 128 bytes (struct mkb_header)
 *     magic "PMMMKT1\0", version 1, record size 64, symbol (NUL-padded),
 *     tickSize and stepSize the prices and quantities were counted in
 *     (IEEE doubles), number of records, number of market events, the
 *     first and last receive time (ns).
 *   records, 64 bytes each (struct mkb_rec)
 *     recv_ns  local receive time of the recorded line (ns since epoch)
 *     e_ms     the exchange's event time E of the line (ms), 0 = none
 *     type     1 bookTicker, 2 trade, 3 depth diff, 4 depth snapshot,
 *              5 levels (the continuation of a depth record), 6 markPrice
 *     flags    bit 0: trade buyer is maker
 *     v[5]     bookTicker: u, bid, bid qty, ask, ask qty
 *              trade:      id, price, qty
 *              markPrice:  mark, index, est. settle price, funding rate
 *                          (the bits of IEEE doubles), next funding ms
 *              depth:      U, u, pu, bids, asks; then ceil((bids + asks)
 *                          / 4) level records follow, each four
 *                          (price, qty) pairs of int64, bids first, the
 *                          unused tail zero
 *   Prices are in ticks, quantities in lots (steps) of the header's sizes.
 *
 * A reader needs no allocation: the levels of a depth record are handed
 * to the sink where they lie in the mapping (struct ext_level has the
 * same layout as a pair).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "sim_int.h"

_Static_assert(sizeof(struct mkb_header) == MKB_HEADER_SIZE, "header size");
_Static_assert(sizeof(struct mkb_rec) == MKB_REC_SIZE, "record size");
_Static_assert(sizeof(struct ext_level) * MKB_LV_PER_REC == MKB_REC_SIZE,
    "levels per record");

static bool
mkb_little_endian(void)
{
	const uint16_t one = 1;

	return *(const uint8_t *)&one == 1;
}

/* ---- reading ---------------------------------------------------------- */

bool
mkb_is_binary(const char *path)
{
	char magic[8];
	FILE *fp = fopen(path, "rb");
	bool yes;

	if (fp == NULL)
		return false;
	yes = fread(magic, 1, sizeof(magic), fp) == sizeof(magic) &&
	    memcmp(magic, MKB_MAGIC, sizeof(magic)) == 0;
	fclose(fp);
	return yes;
}

/* Records a depth record spans (itself and its levels). */
static uint64_t
mkb_span(const struct mkb_rec *r)
{
	uint64_t n;

	if (r->type != MKB_DEPTH && r->type != MKB_SNAPSHOT)
		return 1;
	n = (uint64_t)r->v[3] + (uint64_t)r->v[4];
	return 1 + (n + MKB_LV_PER_REC - 1) / MKB_LV_PER_REC;
}

int
mkb_open(struct mkb_reader *rd, const char *path, char *err, size_t errlen)
{
	struct stat st;
	const struct mkb_header *h;
	int fd;

	memset(rd, 0, sizeof(*rd));
	if (!mkb_little_endian()) {
		snprintf(err, errlen, "%s: the binary form is little-endian "
		    "and this host is not", path);
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	if (st.st_size < MKB_HEADER_SIZE) {
		snprintf(err, errlen, "%s: truncated: %lld bytes, shorter than "
		    "the %d-byte header", path, (long long)st.st_size,
		    MKB_HEADER_SIZE);
		close(fd);
		return -1;
	}
	rd->len = (size_t)st.st_size;
	rd->map = mmap(NULL, rd->len, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (rd->map == MAP_FAILED) {
		snprintf(err, errlen, "%s: mmap: %s", path, strerror(errno));
		rd->map = NULL;
		return -1;
	}
	(void)madvise(rd->map, rd->len, MADV_SEQUENTIAL);
	h = rd->map;
	if (memcmp(h->magic, MKB_MAGIC, sizeof(h->magic)) != 0 ||
	    h->version != MKB_VERSION || h->rec_size != MKB_REC_SIZE) {
		snprintf(err, errlen, "%s: not a pmm binary recording of "
		    "version %d (magic, version %u, record size %u)", path,
		    MKB_VERSION, h->version, h->rec_size);
		goto fail;
	}
	if (h->symbol[sizeof(h->symbol) - 1] != '\0' || !(h->tick > 0) ||
	    !(h->step > 0)) {
		snprintf(err, errlen, "%s: corrupt header (symbol, tick or "
		    "step)", path);
		goto fail;
	}
	if ((rd->len - MKB_HEADER_SIZE) % MKB_REC_SIZE != 0 ||
	    (rd->len - MKB_HEADER_SIZE) / MKB_REC_SIZE != h->nrec) {
		snprintf(err, errlen, "%s: truncated or overlong: the header "
		    "says %llu records, the file holds %.1f", path,
		    (unsigned long long)h->nrec, (double)(rd->len -
		    MKB_HEADER_SIZE) / MKB_REC_SIZE);
		goto fail;
	}
	rd->hdr = h;
	rd->rec = (const struct mkb_rec *)((const char *)rd->map +
	    MKB_HEADER_SIZE);
	rd->n = h->nrec;
	return 0;
fail:
	munmap(rd->map, rd->len);
	memset(rd, 0, sizeof(*rd));
	return -1;
}

void
mkb_close(struct mkb_reader *rd)
{
	if (rd->map != NULL)
		munmap(rd->map, rd->len);
	memset(rd, 0, sizeof(*rd));
}

/*
 * The record at rd->i if it is a whole, sane event; NULL with err set
 * when the file is damaged there.
 */
const struct mkb_rec *
mkb_peek(const struct mkb_reader *rd, char *err, size_t errlen)
{
	const struct mkb_rec *r;
	uint64_t span;

	if (rd->i >= rd->n)
		return NULL;
	r = &rd->rec[rd->i];
	switch (r->type) {
	case MKB_BOOK_TICKER:
	case MKB_TRADE:
	case MKB_MARK:
		return r;
	case MKB_DEPTH:
	case MKB_SNAPSHOT:
		if (r->v[3] < 0 || r->v[4] < 0 || r->v[3] > MKB_LV_MAX ||
		    r->v[4] > MKB_LV_MAX)
			break;
		span = mkb_span(r);
		if (span > rd->n - rd->i)
			break;
		return r;
	default:
		break;
	}
	snprintf(err, errlen, "record %llu: corrupt (type %u)",
	    (unsigned long long)rd->i, r->type);
	return NULL;
}

void
mkb_skip(struct mkb_reader *rd, const struct mkb_rec *r)
{
	rd->i += mkb_span(r);
}

/* ---- writing ---------------------------------------------------------- */

int
mkb_writer_open(struct mkb_writer *w, const char *path, const char *symbol,
    double tick, double step)
{
	memset(w, 0, sizeof(*w));
	if (!mkb_little_endian()) {
		errno = ENOTSUP;
		return -1;
	}
	if ((w->fp = fopen(path, "wb")) == NULL)
		return -1;
	memcpy(w->h.magic, MKB_MAGIC, sizeof(w->h.magic));
	w->h.version = MKB_VERSION;
	w->h.rec_size = MKB_REC_SIZE;
	snprintf(w->h.symbol, sizeof(w->h.symbol), "%s", symbol);
	w->h.tick = tick;
	w->h.step = step;
	/* the header is written again with its counts at the end */
	if (fwrite(&w->h, sizeof(w->h), 1, w->fp) != 1) {
		fclose(w->fp);
		w->fp = NULL;
		return -1;
	}
	return 0;
}

static void
mkb_put(struct mkb_writer *w, const struct mkb_rec *r)
{
	if (w->failed || fwrite(r, sizeof(*r), 1, w->fp) != 1) {
		w->failed = true;
		return;
	}
	w->h.nrec++;
}

static void
mkb_times(struct mkb_writer *w, struct mkb_rec *r, int64_t recv_ns,
    int64_t e_ms)
{
	r->recv_ns = recv_ns;
	r->e_ms = e_ms;
	if (w->h.nevents == 0)
		w->h.first_ns = recv_ns;
	w->h.last_ns = recv_ns;
	w->h.nevents++;
}

void
mkb_write_bt(struct mkb_writer *w, int64_t recv_ns, int64_t e_ms, int64_t u,
    int64_t bid, int64_t bidq, int64_t ask, int64_t askq)
{
	struct mkb_rec r;

	memset(&r, 0, sizeof(r));
	mkb_times(w, &r, recv_ns, e_ms);
	r.type = MKB_BOOK_TICKER;
	r.v[0] = u;
	r.v[1] = bid;
	r.v[2] = bidq;
	r.v[3] = ask;
	r.v[4] = askq;
	mkb_put(w, &r);
}

void
mkb_write_trade(struct mkb_writer *w, int64_t recv_ns, int64_t e_ms,
    int64_t id, int64_t px, int64_t lots, bool buyer_maker)
{
	struct mkb_rec r;

	memset(&r, 0, sizeof(r));
	mkb_times(w, &r, recv_ns, e_ms);
	r.type = MKB_TRADE;
	r.flags = buyer_maker ? MKB_F_BUYER_MAKER : 0;
	r.v[0] = id;
	r.v[1] = px;
	r.v[2] = lots;
	mkb_put(w, &r);
}

static int64_t
mkb_dbits(double v)
{
	int64_t x;

	memcpy(&x, &v, sizeof(x));
	return x;
}

double
mkb_double(int64_t bits)
{
	double v;

	memcpy(&v, &bits, sizeof(v));
	return v;
}

void
mkb_write_mark(struct mkb_writer *w, int64_t recv_ns, int64_t e_ms, double p,
    double i, double P, double r, int64_t T_ms)
{
	struct mkb_rec rec;

	memset(&rec, 0, sizeof(rec));
	mkb_times(w, &rec, recv_ns, e_ms);
	rec.type = MKB_MARK;
	rec.v[0] = mkb_dbits(p);
	rec.v[1] = mkb_dbits(i);
	rec.v[2] = mkb_dbits(P);
	rec.v[3] = mkb_dbits(r);
	rec.v[4] = T_ms;
	mkb_put(w, &rec);
}

void
mkb_write_depth(struct mkb_writer *w, int64_t recv_ns, int64_t e_ms,
    int64_t U, int64_t u, int64_t pu, const struct ext_level *b, int nb,
    const struct ext_level *a, int na, bool snapshot)
{
	struct mkb_rec r;
	struct ext_level lv[MKB_LV_PER_REC];
	int i, k = 0;

	if (nb > MKB_LV_MAX || na > MKB_LV_MAX) {
		w->failed = true;
		errno = EOVERFLOW;
		return;
	}
	memset(&r, 0, sizeof(r));
	mkb_times(w, &r, recv_ns, e_ms);
	r.type = snapshot ? MKB_SNAPSHOT : MKB_DEPTH;
	r.v[0] = U;
	r.v[1] = u;
	r.v[2] = pu;
	r.v[3] = nb;
	r.v[4] = na;
	mkb_put(w, &r);
	memset(lv, 0, sizeof(lv));
	for (i = 0; i < nb + na; i++) {
		lv[k++] = i < nb ? b[i] : a[i - nb];
		if (k == MKB_LV_PER_REC || i == nb + na - 1) {
			memcpy(&r, lv, sizeof(r));
			mkb_put(w, &r);
			memset(lv, 0, sizeof(lv));
			k = 0;
		}
	}
}

int
mkb_writer_close(struct mkb_writer *w)
{
	int rc = w->failed ? -1 : 0;

	if (w->fp == NULL)
		return -1;
	if (rc == 0 && (fseek(w->fp, 0, SEEK_SET) != 0 ||
	    fwrite(&w->h, sizeof(w->h), 1, w->fp) != 1 ||
	    fflush(w->fp) != 0 || fsync(fileno(w->fp)) != 0))
		rc = -1;
	if (fclose(w->fp) != 0)
		rc = -1;
	w->fp = NULL;
	return rc;
}
