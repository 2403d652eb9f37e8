/*
 * main.c — pmm-exchange: a local Binance USD-M futures exchange on
 * 127.0.0.1. Parses the command line and the optional accounts file,
 * builds the core (exch.h) and the wire side (wire.h), and runs the one
 * event loop until SIGINT or SIGTERM.
 *
 * Accounts file (--config): one directive per line, '#' starts a comment.
 *     account <api-key> <secret> <usdt-balance>
 *     maker_fee 0.0002
 *     taker_fee 0.0005
 * Without an account line the demo account (config/.env.example) is used.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exch.h"
#include "log.h"
#include "wire.h"

#define DEMO_KEY	"sN6AbwhpNOMIZyGKXiKQSg4ef53s06mcEy8L804XMv3Dmu7RXdZltBGuE7A6hWDd"
#define DEMO_SECRET	"1FIzcqSpHJPmSXb8TiRDtJqw9q5CIlANe1LhUdHhxLAmz1KZlmXGKD1CWnGLqa9N"
#define DEMO_USDT	10000.0

static struct {
	struct wire		 wire;
	struct wire_opts	 wopts;
	struct exch_opts	 eopts;
	const char		*config;
	const char		*port_file;
	double			 maker_fee, taker_fee;	/* NAN: not given */
} ctx;

static void
usage(FILE *f)
{
	fprintf(f,
"usage: pmm-exchange [--port N] [--synthetic [--seed N] [--volatility X]]\n"
"                    [--replay FILE [--speed X|max] [--loop]] [--manual]\n"
"                    [--config FILE] [--paused] [--strict-routes]\n"
"                    [--port-file FILE] [--queue pessimistic|prob[:N]]\n"
"                    [--fee-tier N] [--maker-fee X] [--taker-fee X]\n"
"                    [--funding-rate X] [--funding-interval SECS]\n"
"                    [--ws-ping SECS] [--ws-timeout SECS] [--ws-max-age SECS]\n"
"                    [--log-level error|warn|info|debug] [--list-endpoints]\n"
"                    [--help]\n"
"\n"
"A local Binance USD-M futures exchange on 127.0.0.1: REST and WebSocket on\n"
"one port (default 18080). Point a Binance client's base URLs at\n"
"http://127.0.0.1:PORT and ws://127.0.0.1:PORT.\n"
"\n"
"  --port N            listen on 127.0.0.1:N (18080; 0 = any free port)\n"
"  --synthetic         seeded synthetic market (the default)\n"
"  --seed N            synthetic market seed (same seed, same market)\n"
"  --volatility X      multiplier on the calibrated volatility (2.5)\n"
"  --replay FILE       replay a recording: gzip (or plain) lines of\n"
"                      '<ns> <combined stream frame JSON>'\n"
"  --speed X|max       replay speed, 0.001..1000000: 1 = real time (default),\n"
"                      10 = ten times faster; max = as fast as the\n"
"                      subscribers read, for data checks only: a trading\n"
"                      tree needs 1..10 (see docs/SIM.md)\n"
"  --loop              start the replay over at its end\n"
"  --manual            no market source: drive it with POST /sim/book|trade\n"
"  --config FILE       accounts file (see docs/SIM.md)\n"
"  --paused            start with the market stopped (POST /sim/resume)\n"
"  --strict-routes     unrouted WebSocket paths carry /public streams only,\n"
"                      as Binance's do since 2026-04-23\n"
"  --port-file FILE    write the listening port there once listening\n"
"  --queue MODEL       where a resting order stands when its price level\n"
"                      shrinks without a trade: pessimistic (the default:\n"
"                      cancels are behind us) or prob[:N] (a power law of\n"
"                      the sizes ahead and behind, N >= 1, default 2);\n"
"                      see docs/SIM.md\n"
"  --fee-tier N        Binance's USD-M VIP tier 0..9 sets both fees (0:\n"
"                      maker 0.02 %%, taker 0.05 %%; 9: 0 %% and 0.017 %%)\n"
"  --maker-fee X       maker fee as a fraction (0.0002 = 0.02 %%), over\n"
"  --taker-fee X       the tier and the --config file's fees\n"
"  --funding-rate X    funding rate per interval of the synthetic and\n"
"                      manual markets (0.0001; a replay uses its own)\n"
"  --funding-interval SECS  funding every SECS on the clock's grid\n"
"                      (28800: 00:00, 08:00, 16:00 UTC)\n"
"  --ws-ping SECS      ping an idle WebSocket after SECS (180)\n"
"  --ws-timeout SECS   close a WebSocket silent that long (600)\n"
"  --ws-max-age SECS   close WebSockets older than that (86400)\n"
"  --log-level LEVEL   error, warn, info (the default) or debug\n"
"  --list-endpoints    print every endpoint served (REST, /sim/ admin,\n"
"                      WebSocket paths) with a valid sample, and exit\n"
"  --help              this text\n");
}

static int
load_config(const char *path, struct exch_opts *o)
{
	char	 line[1024], key[64], a1[256], a2[256], a3[64];
	FILE	*f;
	int	 n, lineno = 0, rc = 0;

	if ((f = fopen(path, "r")) == NULL) {
		log_warn("%s", path);
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (strchr(line, '#') != NULL)
			*strchr(line, '#') = '\0';
		n = sscanf(line, "%63s %255s %255s %63s", key, a1, a2, a3);
		if (n <= 0)
			continue;
		if (strcmp(key, "account") == 0 && n == 4) {
			if (exch_opts_add_account(o, a1, a2, atof(a3)) == -1) {
				log_warnx("%s:%d: cannot add the account",
				    path, lineno);
				rc = -1;
			}
		} else if (strcmp(key, "maker_fee") == 0 && n == 2)
			o->maker_fee = atof(a1);
		else if (strcmp(key, "taker_fee") == 0 && n == 2)
			o->taker_fee = atof(a1);
		else {
			/* never echo the line: it may hold a secret */
			log_warnx("%s:%d: unknown or malformed directive '%s'",
			    path, lineno, key);
			rc = -1;
		}
	}
	fclose(f);
	return rc;
}

/*
 * The number after option opt, within lo..hi; otherwise say which option,
 * what was given and what is valid (valid: that text, or the range).
 */
static int
num_arg(const char *opt, const char *s, double lo, double hi,
    const char *valid, double *out)
{
	char	*end;

	errno = 0;
	*out = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(*out >= lo) ||
	    !(*out <= hi)) {
		if (valid != NULL)
			log_warnx("--%s: bad value '%s': %s", opt, s, valid);
		else
			log_warnx("--%s: bad value '%s': a number from %g to %g",
			    opt, s, lo, hi);
		return -1;
	}
	return 0;
}

/* num_arg() for a whole number. */
static int
whole_arg(const char *opt, const char *s, double lo, double hi,
    const char *valid, double *out)
{
	if (num_arg(opt, s, lo, hi, valid, out) == -1)
		return -1;
	if (*out != floor(*out)) {
		log_warnx("--%s: bad value '%s': %s", opt, s, valid);
		return -1;
	}
	return 0;
}

/* --queue pessimistic | prob | prob:N */
static int
queue_arg(const char *s, struct exch_opts *o)
{
	if (strcmp(s, "pessimistic") == 0) {
		o->queue_model = EXCH_QUEUE_PESSIMISTIC;
		return 0;
	}
	if (strncmp(s, "prob", 4) == 0 && (s[4] == '\0' || s[4] == ':')) {
		o->queue_model = EXCH_QUEUE_PROB;
		o->queue_power = 2;
		return s[4] == ':' ? num_arg("queue", s + 5, 1, 100,
		    "prob:N takes N from 1 to 100", &o->queue_power) : 0;
	}
	log_warnx("--queue: '%s' is not pessimistic, prob or prob:N", s);
	return -1;
}

static int
parse_args(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "synthetic", no_argument, NULL, 'S' },
		{ "seed", required_argument, NULL, 's' },
		{ "volatility", required_argument, NULL, 'v' },
		{ "replay", required_argument, NULL, 'r' },
		{ "speed", required_argument, NULL, 'x' },
		{ "loop", no_argument, NULL, 'L' },
		{ "manual", no_argument, NULL, 'M' },
		{ "config", required_argument, NULL, 'c' },
		{ "paused", no_argument, NULL, 'P' },
		{ "strict-routes", no_argument, NULL, 'R' },
		{ "port-file", required_argument, NULL, 'F' },
		{ "ws-ping", required_argument, NULL, 'i' },
		{ "ws-timeout", required_argument, NULL, 't' },
		{ "ws-max-age", required_argument, NULL, 'a' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "list-endpoints", no_argument, NULL, 'E' },
		{ "queue", required_argument, NULL, 'Q' },
		{ "fee-tier", required_argument, NULL, 'T' },
		{ "maker-fee", required_argument, NULL, 'm' },
		{ "taker-fee", required_argument, NULL, 'k' },
		{ "funding-rate", required_argument, NULL, 'f' },
		{ "funding-interval", required_argument, NULL, 'I' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct exch_opts	*o = &ctx.eopts;
	double			 v;
	int			 c, lvl;

	while ((c = getopt_long(argc, argv, "p:h", lo, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (num_arg("port", optarg, 0, 65535,
			    "a TCP port, 0..65535 (0: any free port)", &v) == -1)
				return -1;
			ctx.wopts.port = (int)v;
			break;
		case 'S':
			o->market = EXCH_MKT_SYNTH;
			break;
		case 's':
			if (num_arg("seed", optarg, 0, 1e18, NULL, &v) == -1)
				return -1;
			o->synth.seed = (uint64_t)v;
			break;
		case 'v':
			if (num_arg("volatility", optarg, 0, 1000, NULL, &v) == -1)
				return -1;
			o->synth.vol_mult = v;
			break;
		case 'r':
			o->market = EXCH_MKT_REPLAY;
			snprintf(o->replay.path, sizeof(o->replay.path), "%s",
			    optarg);
			break;
		case 'x':
			if (strcmp(optarg, "max") == 0)
				o->replay.speed = 0;
			else if (num_arg("speed", optarg, 0.001, 1e6,
			    "a speed from 0.001 to 1000000 (1 = real time) or "
			    "'max'", &v) == -1)
				return -1;
			else
				o->replay.speed = v;
			break;
		case 'L':
			o->replay.loop = true;
			break;
		case 'M':
			o->market = EXCH_MKT_MANUAL;
			break;
		case 'c':
			ctx.config = optarg;
			break;
		case 'P':
			ctx.wopts.paused = 1;
			break;
		case 'R':
			ctx.wopts.strict_routes = 1;
			break;
		case 'F':
			ctx.port_file = optarg;
			break;
		case 'i':
		case 't':
		case 'a':
			if (num_arg(c == 'i' ? "ws-ping" : c == 't' ?
			    "ws-timeout" : "ws-max-age", optarg, 1,
			    c == 'a' ? 1e7 : 65535, NULL, &v) == -1)
				return -1;
			if (c == 'i')
				ctx.wopts.ws_ping_secs = (int)v;
			else if (c == 't')
				ctx.wopts.ws_hangup_secs = (int)v;
			else
				ctx.wopts.ws_max_age_secs = (int)v;
			break;
		case 'l':
			if ((lvl = log_level_parse(optarg)) == -1) {
				log_warnx("--log-level: bad value '%s': error, "
				    "warn, info or debug", optarg);
				return -1;
			}
			log_setlevel(lvl);
			break;
		case 'Q':
			if (queue_arg(optarg, o) == -1)
				return -1;
			break;
		case 'T':
			if (whole_arg("fee-tier", optarg, 0, EXCH_FEE_TIERS - 1,
			    "a VIP tier, 0..9", &v) == -1)
				return -1;
			exch_opts_fee_tier(o, (int)v);
			break;
		case 'm':
		case 'k':
			if (num_arg(c == 'm' ? "maker-fee" : "taker-fee", optarg,
			    -0.01, 0.01, "a fraction from -0.01 to 0.01 "
			    "(0.0002 = 0.02 %)", &v) == -1)
				return -1;
			if (c == 'm')
				ctx.maker_fee = v;
			else
				ctx.taker_fee = v;
			break;
		case 'f':
			if (num_arg("funding-rate", optarg, -0.03, 0.03,
			    "a fraction per interval from -0.03 to 0.03 "
			    "(0.0001 = 0.01 %)", &v) == -1)
				return -1;
			o->funding_rate = v;
			break;
		case 'I':
			if (whole_arg("funding-interval", optarg, 1, 86400 * 7,
			    "whole seconds, 1..604800 (28800 = 8 h)", &v) == -1)
				return -1;
			o->funding_interval_ms = (int64_t)v * 1000;
			break;
		case 'E':
			wire_endpoints_print(stdout);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return -1;
	}
	return 0;
}

static void
write_port_file(void)
{
	FILE	*f;

	if (ctx.port_file == NULL)
		return;
	if ((f = fopen(ctx.port_file, "w")) == NULL) {
		log_warn("%s", ctx.port_file);
		return;
	}
	fprintf(f, "%d\n", wire_port(&ctx.wire));
	fclose(f);
}

int
main(int argc, char **argv)
{
	struct exch	*ex;
	struct exch_cb	 cb;
	int		 rc;

	log_init("pmm-exchange", LOG_LVL_INFO);
	exch_opts_default(&ctx.eopts);
	ctx.wopts.port = 18080;
	ctx.wopts.iface = "127.0.0.1";
	ctx.wopts.ws_ping_secs = 180;
	ctx.wopts.ws_hangup_secs = 600;
	ctx.wopts.ws_max_age_secs = 24 * 3600;
	ctx.wopts.step_us = 10000;
	ctx.maker_fee = ctx.taker_fee = NAN;
	if (parse_args(argc, argv) == -1)
		return 2;
	if (ctx.config != NULL && load_config(ctx.config, &ctx.eopts) == -1)
		return 78;	/* EX_CONFIG */
	/* the command line's own fees win over the tier and the file */
	if (!isnan(ctx.maker_fee))
		ctx.eopts.maker_fee = ctx.maker_fee;
	if (!isnan(ctx.taker_fee))
		ctx.eopts.taker_fee = ctx.taker_fee;
	if (ctx.eopts.naccounts == 0 && exch_opts_add_account(&ctx.eopts,
	    DEMO_KEY, DEMO_SECRET, DEMO_USDT) == -1)
		fatalx("cannot add the demo account");
	/* the callbacks stay silent until wire_init() has built the hub */
	memset(&cb, 0, sizeof(cb));
	cb.on_market = ws_on_market;
	cb.on_user = ws_on_user;
	cb.arg = &ctx.wire;
	if ((ex = exch_new(&ctx.eopts, &cb)) == NULL)
		return 1;
	if (wire_init(&ctx.wire, &ctx.wopts, ex) == -1) {
		wire_free(&ctx.wire);
		exch_free(ex);
		return 1;
	}
	ctx.wire.rl_limits = ctx.eopts.rl;
	write_port_file();
	log_info("%d account(s), market: %s", ctx.eopts.naccounts,
	    ctx.eopts.market == EXCH_MKT_REPLAY ? ctx.eopts.replay.path :
	    ctx.eopts.market == EXCH_MKT_MANUAL ? "manual" : "synthetic");
	rc = wire_run(&ctx.wire);
	wire_free(&ctx.wire);
	exch_free(ex);
	log_info("stopped");
	return rc == 0 ? 0 : 1;
}
