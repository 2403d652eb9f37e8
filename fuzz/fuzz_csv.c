/*
 * fuzz_csv.c — libFuzzer target for the metrics CSV reader behind
 * `pmmctl history` and `pmmctl report` (ctl_history.c): a CSV file is
 * whatever is on disk — torn by a full disk, edited by hand, another
 * program's — so any bytes must be summed or skipped, never crash.
 *
 * The input is fed as one file, in two pieces split at its first byte's
 * value (a record may straddle a read), then summed into the JSON
 * history prints; its first line is also tried as a --since argument.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_history.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const char *buf = (const char *)data;
	struct chist h;
	size_t cut, used, left;
	char when[64];
	int64_t t;
	json_t *j;

	chist_init(&h, 0, INT64_MAX, len > 0 && (data[0] & 1) ? "t1" : NULL);
	cut = len > 0 ? data[0] % (len + 1) : 0;
	used = chist_feed(&h, buf, cut);
	/* what the first piece left unconsumed is read again with the rest */
	left = len - used;
	used += chist_feed(&h, buf + used, left);
	chist_feed_end(&h, buf + used, len - used);
	if ((j = chist_json(&h, 1000, 1)) != NULL)
		json_decref(j);
	memset(when, 0, sizeof(when));
	memcpy(when, buf, len < sizeof(when) - 1 ? len : sizeof(when) - 1);
	when[strcspn(when, "\n")] = '\0';
	(void)chist_parse_when(when, 1796544600LL * 1000000000, &t);
	(void)chist_parse_ts(when);
	return 0;
}
