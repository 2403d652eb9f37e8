/*
 * shm_poke.c — scribble on a running tree's state segment, for the
 * corruption scripts: what a stray write, a bug or a foreign process could
 * leave there. It writes the active copy of one section in place, without
 * the checksum a writer would store.
 *
 *   shm_poke NAME SECTION MODE
 *
 *   NAME     the segment (pmmctl status --json: .segment.name)
 *   SECTION  procs | market | orders | risk | hb-market | hb-order |
 *            hb-risk | hb-logger
 *   MODE     pause   set the section's pause flag (procs: operator pause,
 *                    risk: paused) -- the overwrite
 *            random  fill the whole active copy with random bytes
 *            hold    hb-*: a rate-limit hold of 6351628675370622222 ms
 *
 * Exit 0 when written, 2 on bad usage or a segment it cannot map.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shm.h"

static void
poke_random(void *p, size_t len)
{
	unsigned char *b = p;
	uint64_t x = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ULL | 1;
	size_t i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		b[i] = (unsigned char)x;
	}
}

/* The active copy of a section: the one seq's low bit names. */
#define ACTIVE(sect)	(&(sect)->copy[atomic_load(&(sect)->seq) & 1])

int
main(int argc, char **argv)
{
	struct shm_state *st;
	char err[256];
	const char *sec, *mode;
	int hb;

	if (argc != 4) {
		fprintf(stderr, "usage: shm_poke NAME SECTION MODE\n");
		return 2;
	}
	sec = argv[2];
	mode = argv[3];
	if ((st = shm_attach(argv[1], 1, err, sizeof(err))) == NULL) {
		fprintf(stderr, "shm_poke: %s\n", err);
		return 2;
	}
	hb = strncmp(sec, "hb-", 3) == 0 ? svc_from_name(sec + 3) : -1;
	if (strcmp(mode, "random") == 0) {
		if (strcmp(sec, "procs") == 0)
			poke_random(ACTIVE(&st->procs), sizeof(struct shm_procs));
		else if (strcmp(sec, "market") == 0)
			poke_random(ACTIVE(&st->market), sizeof(struct shm_market));
		else if (strcmp(sec, "orders") == 0)
			poke_random(ACTIVE(&st->orders), sizeof(struct shm_orders));
		else if (strcmp(sec, "risk") == 0)
			poke_random(ACTIVE(&st->risk), sizeof(struct shm_risk));
		else if (hb >= 0)
			poke_random(ACTIVE(&st->hb[hb]), sizeof(struct shm_hb));
		else
			goto bad;
	} else if (strcmp(mode, "pause") == 0 && strcmp(sec, "procs") == 0) {
		ACTIVE(&st->procs)->operator_paused = 1;
		snprintf(ACTIVE(&st->procs)->operator_reason,
		    sizeof(ACTIVE(&st->procs)->operator_reason), "poked");
	} else if (strcmp(mode, "pause") == 0 && strcmp(sec, "risk") == 0) {
		ACTIVE(&st->risk)->paused = 1;
	} else if (strcmp(mode, "hold") == 0 && hb >= 0) {
		ACTIVE(&st->hb[hb])->rl_backoff_until_ms = 6351628675370622222LL;
		ACTIVE(&st->hb[hb])->rl_ban_until_ms = 6351628675370622222LL;
	} else
		goto bad;
	printf("poked %s %s of %s\n", sec, mode, argv[1]);
	shm_detach(st);
	return 0;
bad:
	fprintf(stderr, "shm_poke: cannot %s section %s\n", mode, sec);
	shm_detach(st);
	return 2;
}
