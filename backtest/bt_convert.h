/*
 * bt_convert.h — a recording (gzip JSON lines) into the binary form that
 * a replay reads from a mapping (layout: sim/mkt_bin.c).
 */
#ifndef PMM_BT_CONVERT_H
#define PMM_BT_CONVERT_H

#include <stddef.h>
#include <stdint.h>

struct bt_convert_stats {
	uint64_t	 lines, bad;	/* read, dropped as malformed */
	uint64_t	 events;	/* market events written */
	uint64_t	 records;	/* 64-byte records written */
};

/* 0, or -1 with err naming the file (and the line) and what is wrong;
 * out is then untouched. */
int	bt_convert(const char *in, const char *out,
	    struct bt_convert_stats *st, char *err, size_t errlen);

#endif
