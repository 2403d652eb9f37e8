/*
 * bench_parse.c — cost of parsing a bookTicker frame, the market service's
 * hot path (~200 msgs/s live, up to 200k/s in replay benchmarks).
 *
 * Over the real recorded btcusdt@bookTicker frames it prints ns/msg for:
 *   strtod x4     baseline: only the four numbers, already cut out
 *   json_loadb    jansson building the tree, nothing read from it
 *   book_ticker   bn_parse_book_ticker (the hot-path entry point)
 *   event         bn_parse_event (the router, what a generic reader pays)
 * Prints figures; asserts nothing.
 *
 *   bench_parse [frames] [passes]      (defaults 20000, 5)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bn_parse.h"
#include "timeutil.h"

#define RECORDING	PMM_SHARED_DATA "/btcusdt_20240808.gz"

struct frame {
	char	*json;
	size_t	 len;
	char	 num[4][24];	/* b, B, a, A as they appear */
};

static struct bn_event	ev;	/* 33 KB: not on the stack */

/* "k":"v" -> v into dst (for the baseline only). */
static int
cut(const char *json, const char *key, char *dst, size_t cap)
{
	const char	*p = strstr(json, key), *q;
	size_t		 n;

	if (p == NULL)
		return -1;
	p += strlen(key);
	if ((q = strchr(p, '"')) == NULL || (n = (size_t)(q - p)) >= cap)
		return -1;
	memcpy(dst, p, n);
	dst[n] = '\0';
	return 0;
}

static int
load(struct frame *f, int want)
{
	static const char *keys[4] = { "\"b\":\"", "\"B\":\"", "\"a\":\"",
	    "\"A\":\"" };
	char	 line[4096], *json;
	FILE	*p;
	int	 n = 0, k;

	p = popen("gzip -dc " RECORDING " 2>/dev/null", "r");
	if (p == NULL)
		return 0;
	while (n < want && fgets(line, sizeof(line), p) != NULL) {
		if (strstr(line, "@bookTicker") == NULL ||
		    (json = strchr(line, ' ')) == NULL)
			continue;
		json++;
		json[strcspn(json, "\n")] = '\0';
		for (k = 0; k < 4; k++)
			if (cut(json, keys[k], f[n].num[k],
			    sizeof(f[n].num[k])) == -1)
				break;
		if (k < 4)
			continue;
		f[n].json = strdup(json);
		f[n].len = strlen(json);
		n++;
	}
	pclose(p);
	return n;
}

static void
report(const char *what, int64_t ns, long msgs, double base)
{
	double per = (double)ns / (double)msgs;

	printf("%-14s %8.1f ns/msg  %9.0f msgs/s", what, per, 1e9 / per);
	if (base > 0)
		printf("  (%.1fx the strtod baseline)", per / base);
	printf("\n");
}

int
main(int argc, char **argv)
{
	struct bn_book_ticker	 bt;
	struct frame		*f;
	json_t			*j;
	volatile double		 sink = 0;
	int64_t			 t0, ns;
	double			 base;
	int			 want = argc > 1 ? atoi(argv[1]) : 20000;
	int			 passes = argc > 2 ? atoi(argv[2]) : 5;
	int			 n, i, k, bad = 0;
	long			 msgs;

	if (want <= 0 || passes <= 0 ||
	    (f = calloc((size_t)want, sizeof(*f))) == NULL)
		return 1;
	if ((n = load(f, want)) == 0) {
		printf("bench_parse: %s absent or unreadable: nothing to "
		    "measure\n", RECORDING);
		return 0;
	}
	msgs = (long)n * passes;
	printf("bench_parse: %d real bookTicker frames x %d passes "
	    "(avg %zu bytes)\n", n, passes, f[0].len);

	t0 = now_mono_ns();
	for (k = 0; k < passes; k++)
		for (i = 0; i < n; i++)
			sink += strtod(f[i].num[0], NULL) +
			    strtod(f[i].num[1], NULL) +
			    strtod(f[i].num[2], NULL) +
			    strtod(f[i].num[3], NULL);
	ns = now_mono_ns() - t0;
	base = (double)ns / (double)msgs;
	report("strtod x4", ns, msgs, 0);

	t0 = now_mono_ns();
	for (k = 0; k < passes; k++)
		for (i = 0; i < n; i++) {
			j = json_loadb(f[i].json, f[i].len, 0, NULL);
			bad += j == NULL;
			json_decref(j);
		}
	report("json_loadb", now_mono_ns() - t0, msgs, base);

	t0 = now_mono_ns();
	for (k = 0; k < passes; k++)
		for (i = 0; i < n; i++) {
			bad += bn_parse_book_ticker(f[i].json, f[i].len, &bt,
			    NULL) != 0;
			sink += bt.b;
		}
	report("book_ticker", now_mono_ns() - t0, msgs, base);

	t0 = now_mono_ns();
	for (k = 0; k < passes; k++)
		for (i = 0; i < n; i++) {
			bad += bn_parse_event(f[i].json, f[i].len, &ev,
			    NULL) != 0;
			sink += ev.u.bt.a;
		}
	report("event", now_mono_ns() - t0, msgs, base);

	if (bad)
		printf("bench_parse: %d frames failed to parse\n", bad);
	for (i = 0; i < n; i++)
		free(f[i].json);
	free(f);
	return sink < 0 ? 2 : 0;	/* keeps the loops' results alive */
}
