/*
 * fuzz_cfg.c — libFuzzer target for the config loader.
 *
 * The input is a YAML document, optionally followed by a NUL byte and the
 * text of a .env file. Both are written to files (the loader reads files,
 * as pmmd does) and loaded; any outcome but a crash, a hang or a sanitizer
 * report is fine. On success the config is printed to /dev/null so the
 * printing path runs too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg.h"

static char fz_yaml[64], fz_env[64];

static void
fz_write(const char *path, const uint8_t *data, size_t len, mode_t mode)
{
	FILE *fp = fopen(path, "w");

	if (fp == NULL)
		abort();
	if (len > 0 && fwrite(data, 1, len, fp) != len)
		abort();
	fclose(fp);
	chmod(path, mode);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char dir[] = "/tmp/pmm-fuzz-cfg.XXXXXX";

	(void)argc;
	(void)argv;
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(fz_yaml, sizeof(fz_yaml), "%s/config.yaml", dir);
	snprintf(fz_env, sizeof(fz_env), "%s/.env", dir);
	/* keep the fuzzer's own environment from steering the loader */
	unsetenv("EXCHANGE_ENV");
	unsetenv("BINANCE_API_KEY");
	unsetenv("BINANCE_SECRET_KEY");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cfg c;
	const uint8_t *nul = memchr(data, 0, size);
	size_t ylen = nul ? (size_t)(nul - data) : size;
	char err[CFG_ERRLEN];
	FILE *devnull;

	fz_write(fz_yaml, data, ylen, 0644);
	if (nul != NULL)
		fz_write(fz_env, nul + 1, size - ylen - 1, 0600);
	else
		fz_write(fz_env, (const uint8_t *)"EXCHANGE_ENV=sim\n", 17, 0600);
	if (cfg_load(&c, fz_yaml, fz_env, err, sizeof(err)) == 0 &&
	    (devnull = fopen("/dev/null", "w")) != NULL) {
		cfg_print(&c, devnull);
		fclose(devnull);
	}
	return 0;
}
