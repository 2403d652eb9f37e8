/*
 * check_cfg.c — unit tests for common/cfg.c, the configuration loader.
 *
 * Each test runs in its own forked process (CK_FORK) inside a fresh mkdtemp
 * directory it chdirs into, so YAML and .env fixtures are written as
 * "config.yaml" and ".env" and error messages can be compared whole. The
 * setup strips every variable cfg reads from the environment first, so a
 * developer's shell (EXCHANGE_ENV=live, say) cannot change a result.
 */
#include <check.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg.h"
#include "secmem.h"
#include "log.h"
#include "check_run.h"

#define DEMO_API_KEY \
	"sN6AbwhpNOMIZyGKXiKQSg4ef53s06mcEy8L804XMv3Dmu7RXdZltBGuE7A6hWDd"
#define DEMO_SECRET \
	"1FIzcqSpHJPmSXb8TiRDtJqw9q5CIlANe1LhUdHhxLAmz1KZlmXGKD1CWnGLqa9N"

static struct {
	char		dir[64];
	char		err[CFG_ERRLEN];
	char		out[16384];
	struct cfg	c;
	struct cfg_keys	*k;	/* what a signing process keeps */
} t;

static const char *const cfg_env_only[] = {
	"BINANCE_API_KEY", "BINANCE_SECRET_KEY", "EXCHANGE_ENV",
	"LISTEN_KEY_REFRESH_INTERVAL", "BINANCE_REST_URL", "BINANCE_WS_URL",
};

/* Unset PMM_* and the .env-only names; rescan after each unset. */
static void
env_clean(void)
{
	extern char	**environ;
	char		  name[256], **e;
	size_t		  i, n;
	int		  again = 1;

	for (i = 0; i < sizeof(cfg_env_only) / sizeof(cfg_env_only[0]); i++)
		unsetenv(cfg_env_only[i]);
	while (again) {
		again = 0;
		for (e = environ; *e != NULL; e++) {
			n = strcspn(*e, "=");
			if (strncmp(*e, "PMM_", 4) != 0 || n >= sizeof(name))
				continue;
			memcpy(name, *e, n);
			name[n] = '\0';
			unsetenv(name);
			again = 1;
			break;
		}
	}
}

static void
setup(void)
{
	env_clean();
	snprintf(t.dir, sizeof(t.dir), "/tmp/check_cfg.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(t.dir));
	ck_assert_int_eq(chdir(t.dir), 0);
	memset(t.err, 0, sizeof(t.err));
	memset(t.out, 0, sizeof(t.out));
	ck_assert_ptr_nonnull(t.k = cfg_keys_new());
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void
teardown(void)
{
	cfg_keys_free(t.k);
	t.k = NULL;
	if (chdir("/") == 0)
		nftw(t.dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static void
put(const char *name, const char *text, mode_t mode)
{
	int	fd;

	fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, mode);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fchmod(fd, mode), 0);	/* umask must not interfere */
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void
copy(const char *from, const char *to, mode_t mode)
{
	char	 buf[16384];
	FILE	*fp = fopen(from, "r");
	size_t	 n;

	ck_assert_msg(fp != NULL, "cannot open %s", from);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	put(to, buf, mode);
}

/* Write the fixtures (NULL: leave that file out) and load them. */
static int
load(const char *yaml, const char *dotenv)
{
	if (yaml != NULL)
		put("config.yaml", yaml, 0644);
	if (dotenv != NULL)
		put(".env", dotenv, 0600);
	return cfg_load_keys(&t.c, "config.yaml", ".env", t.k, CFG_LOAD_KEEP,
	    t.err, sizeof(t.err));
}

static void
load_ok(const char *yaml, const char *dotenv)
{
	int	rc = load(yaml, dotenv);

	ck_assert_msg(rc == 0, "cfg_load failed: %s", t.err);
}

static const char *
print_cfg(const struct cfg *c)
{
	FILE	*fp = fmemopen(t.out, sizeof(t.out), "w");

	ck_assert_ptr_nonnull(fp);
	cfg_print(c, fp);
	fclose(fp);
	return t.out;
}

/* The printed line "key = ...  (src)" must appear whole. */
static void
assert_line(const char *line)
{
	char	want[1024];

	snprintf(want, sizeof(want), "%s\n", line);
	ck_assert_msg(strstr(print_cfg(&t.c), want) != NULL,
	    "missing line \"%s\" in:\n%s", line, t.out);
}

/* ---------------------------------------------------------------- */

START_TEST(test_defaults)
{
	struct cfg	c;
	int		k;

	cfg_defaults(&c);
	ck_assert_str_eq(c.strategy_name, "simple_mm");
	ck_assert_str_eq(c.instance_id, "simple_mm");
	ck_assert_str_eq(c.symbol, "BTCUSDT");
	ck_assert_int_eq(c.leverage, 5);
	ck_assert_double_eq(c.initial_capital, 5000);
	ck_assert_double_eq(c.max_net_position_ratio, 0.2);
	ck_assert_int_eq(c.order.levels, 3);
	ck_assert_double_eq(c.order.quantity_per_order_usdt, 150);
	ck_assert_double_eq(c.order.price_offset_percent, 0.01);
	ck_assert_int_eq(c.order.refresh_mode, CFG_REFRESH_REPLACE);
	ck_assert_double_eq(c.order.refresh_tolerance_percent, 0.005);
	ck_assert_double_eq(c.refresh.orderbook_refresh_interval, 5);
	ck_assert_double_eq(c.refresh.risk_check_interval, 1);
	ck_assert(c.logging.log_to_csv);
	ck_assert_str_eq(c.logging.log_directory, "logs");
	ck_assert_int_eq(c.logging.log_level, LOG_LVL_INFO);
	ck_assert_double_eq(c.market.stale_after, 5);
	ck_assert_double_eq(c.risk.max_loss_usdt, 250);
	ck_assert_double_eq(c.risk.auto_resume_after, 60);
	ck_assert(!c.risk.adopt_position);
	ck_assert_int_eq(c.exchange.countdown_cancel_ms, 10000);
	ck_assert_int_eq(c.exchange.recv_window_ms, 5000);
	ck_assert_int_eq(c.supervisor.max_deaths, 5);
	ck_assert_double_eq(c.supervisor.death_window, 60);
	ck_assert_double_eq(c.supervisor.backoff_initial, 0.5);
	ck_assert_double_eq(c.supervisor.backoff_max, 30);
	ck_assert_double_eq(c.supervisor.heartbeat_interval, 0.5);
	ck_assert_double_eq(c.supervisor.heartbeat_timeout, 3);
	ck_assert_double_eq(c.supervisor.ready_timeout, 10);
	ck_assert_double_eq(c.supervisor.stop_timeout, 5);
	ck_assert_uint_eq(c.api_key_len, 0);
	ck_assert_uint_eq(c.secret_key_len, 0);
	ck_assert_int_eq(c.exchange_env, CFG_ENV_SIM);
	ck_assert_int_eq(c.listen_key_refresh_interval, 1800);
	ck_assert_str_eq(c.rest_url, "http://127.0.0.1:18080");
	ck_assert_str_eq(c.ws_url, "ws://127.0.0.1:18080");
	ck_assert_str_eq(c.warnings, "");
	for (k = 0; k < CFG_KEY_COUNT; k++)
		ck_assert_int_eq(c.src[k], CFG_SRC_DEFAULT);
}
END_TEST

START_TEST(test_names)
{
	int	k, j;

	for (k = 0; k < CFG_KEY_COUNT; k++) {
		ck_assert_str_ne(cfg_key_name(k), "?");
		for (j = 0; j < k; j++)
			ck_assert_str_ne(cfg_key_name(k), cfg_key_name(j));
	}
	ck_assert_str_eq(cfg_key_name(CFG_ORDER_LEVELS), "order_config.levels");
	ck_assert_str_eq(cfg_key_name(CFG_SUP_MAX_DEATHS),
	    "supervisor.max_deaths");
	ck_assert_str_eq(cfg_key_name(CFG_SECRET_KEY), "BINANCE_SECRET_KEY");
	ck_assert_str_eq(cfg_key_name(CFG_KEY_COUNT), "?");
	ck_assert_str_eq(cfg_src_name(CFG_SRC_DEFAULT), "default");
	ck_assert_str_eq(cfg_src_name(CFG_SRC_ENV), "env");
	ck_assert_str_eq(cfg_src_name(CFG_SRC_YAML), "yaml");
	ck_assert_str_eq(cfg_env_name(CFG_ENV_SIM), "sim");
	ck_assert_str_eq(cfg_env_name(CFG_ENV_TESTNET), "testnet");
	ck_assert_str_eq(cfg_env_name(CFG_ENV_LIVE), "live");
}
END_TEST

/* Print a config without the "(source)" column, to compare values only. */
static void
print_values(const struct cfg *c, char *buf, size_t len)
{
	FILE	*fp = fmemopen(buf, len, "w");
	char	*p;

	ck_assert_ptr_nonnull(fp);
	cfg_print(c, fp);
	fclose(fp);
	while ((p = strstr(buf, "  (")) != NULL)
		memmove(p, strchr(p, '\n'), strlen(strchr(p, '\n')) + 1);
}

/*
 * The shipped config.yaml sets every key, to exactly the defaults — but
 * one: it quotes with avellaneda_mm (the strategy issue 10's evidence
 * favours), while a config without strategy_name keeps simple_mm.
 */
START_TEST(test_repo_config)
{
	static char	got[8192], want[8192];
	struct cfg	def;
	int		k;

	ck_assert_msg(cfg_load(&t.c, PMM_SOURCE_DIR "/config/config.yaml",
	    NULL, t.err, sizeof(t.err)) == 0, "%s", t.err);
	ck_assert_str_eq(t.err, "");
	ck_assert_str_eq(t.c.warnings, "");
	for (k = 0; k < CFG_KEY_COUNT; k++)
		ck_assert_msg(t.c.src[k] == (k < CFG_API_KEY ? CFG_SRC_YAML :
		    CFG_SRC_DEFAULT), "%s from %s", cfg_key_name(k),
		    cfg_src_name(t.c.src[k]));
	cfg_defaults(&def);
	ck_assert_str_eq(t.c.strategy_name, "avellaneda_mm");
	ck_assert_str_eq(def.strategy_name, "simple_mm");
	memcpy(def.strategy_name, t.c.strategy_name,
	    sizeof(def.strategy_name));
	print_values(&t.c, got, sizeof(got));
	print_values(&def, want, sizeof(want));
	ck_assert_str_eq(got, want);
	ck_assert_str_eq(t.c.yaml_path, PMM_SOURCE_DIR "/config/config.yaml");
}
END_TEST

START_TEST(test_repo_testnet)
{
	static char	got[8192], want[8192];
	struct cfg	def;

	put(".env", "EXCHANGE_ENV=testnet\nBINANCE_API_KEY=" DEMO_API_KEY
	    "\nBINANCE_SECRET_KEY=" DEMO_SECRET "\n", 0600);
	ck_assert_msg(cfg_load(&t.c, PMM_SOURCE_DIR "/config/testnet.yaml",
	    ".env", t.err, sizeof(t.err)) == 0, "%s", t.err);
	ck_assert_int_eq(t.c.exchange_env, CFG_ENV_TESTNET);
	ck_assert_str_eq(t.c.rest_url, "https://demo-fapi.binance.com");
	ck_assert_str_eq(t.c.ws_url, "wss://fstream.binancefuture.com");
	ck_assert_int_eq(t.c.src[CFG_SYMBOL], CFG_SRC_YAML);
	ck_assert_int_eq(t.c.src[CFG_EXCHANGE_ENV], CFG_SRC_ENV);
	/* Same trading values as config.yaml, only the comments differ. */
	cfg_defaults(&def);
	t.c.exchange_env = CFG_ENV_SIM;
	snprintf(t.c.rest_url, sizeof(t.c.rest_url), "%s", def.rest_url);
	snprintf(t.c.ws_url, sizeof(t.c.ws_url), "%s", def.ws_url);
	t.c.api_key_len = t.c.secret_key_len = 0;
	print_values(&t.c, got, sizeof(got));
	print_values(&def, want, sizeof(want));
	ck_assert_str_eq(got, want);
}
END_TEST

START_TEST(test_env_example)
{
	copy(PMM_SOURCE_DIR "/config/.env.example", ".env", 0600);
	ck_assert_msg(cfg_load_keys(&t.c, PMM_SOURCE_DIR "/config/config.yaml",
	    ".env", t.k, CFG_LOAD_KEEP, t.err, sizeof(t.err)) == 0, "%s",
	    t.err);
	ck_assert_str_eq(t.k->api_key, DEMO_API_KEY);
	ck_assert_str_eq(t.k->secret_key, DEMO_SECRET);
	ck_assert_uint_eq(t.c.api_key_len, strlen(DEMO_API_KEY));
	ck_assert_int_eq(t.c.src[CFG_API_KEY], CFG_SRC_ENV);
	ck_assert_int_eq(t.c.src[CFG_SECRET_KEY], CFG_SRC_ENV);
	ck_assert_int_eq(t.c.exchange_env, CFG_ENV_SIM);
	ck_assert_int_eq(t.c.src[CFG_EXCHANGE_ENV], CFG_SRC_ENV);
	ck_assert_int_eq(t.c.listen_key_refresh_interval, 1800);
	ck_assert_int_eq(t.c.src[CFG_LISTEN_KEY_REFRESH], CFG_SRC_ENV);
	ck_assert_int_eq(t.c.src[CFG_REST_URL], CFG_SRC_DEFAULT);
	ck_assert_str_eq(t.c.env_path, ".env");
}
END_TEST

/* ---------------------------------------------------------------- */
/* Precedence: yaml > process environment > .env file > default        */

START_TEST(test_prec_default)
{
	load_ok("symbol: BTCUSDT\n", "");
	ck_assert_int_eq(t.c.order.levels, 3);
	ck_assert_int_eq(t.c.src[CFG_ORDER_LEVELS], CFG_SRC_DEFAULT);
	ck_assert_int_eq(t.c.src[CFG_SYMBOL], CFG_SRC_YAML);
	assert_line("order_config.levels = 3  (default)");
}
END_TEST

START_TEST(test_prec_dotenv)
{
	load_ok("", "PMM_ORDER_CONFIG_LEVELS=6\n");
	ck_assert_int_eq(t.c.order.levels, 6);
	ck_assert_int_eq(t.c.src[CFG_ORDER_LEVELS], CFG_SRC_ENV);
	assert_line("order_config.levels = 6  (env)");
}
END_TEST

START_TEST(test_prec_process_env)
{
	setenv("PMM_ORDER_CONFIG_LEVELS", "7", 1);
	load_ok("", NULL);
	ck_assert_int_eq(t.c.order.levels, 7);
	ck_assert_int_eq(t.c.src[CFG_ORDER_LEVELS], CFG_SRC_ENV);
}
END_TEST

START_TEST(test_prec_process_over_dotenv)
{
	setenv("PMM_ORDER_CONFIG_LEVELS", "7", 1);
	load_ok("", "PMM_ORDER_CONFIG_LEVELS=6\n");
	ck_assert_int_eq(t.c.order.levels, 7);
	ck_assert_int_eq(t.c.src[CFG_ORDER_LEVELS], CFG_SRC_ENV);
}
END_TEST

START_TEST(test_prec_yaml_over_env)
{
	setenv("PMM_ORDER_CONFIG_LEVELS", "7", 1);
	load_ok("order_config:\n  levels: 4\n", "PMM_ORDER_CONFIG_LEVELS=6\n");
	ck_assert_int_eq(t.c.order.levels, 4);
	ck_assert_int_eq(t.c.src[CFG_ORDER_LEVELS], CFG_SRC_YAML);
	/* the environment value that lost is named, not silently ignored */
	assert_line("order_config.levels = 4  (yaml, shadows environment "
	    "PMM_ORDER_CONFIG_LEVELS)");
	ck_assert_str_eq(t.c.warnings, "PMM_ORDER_CONFIG_LEVELS=7 from the "
	    "environment is shadowed by config.yaml:2: order_config.levels (the "
	    "YAML file wins; remove the key there to use it)\n");
}
END_TEST

/* Shadowed by yaml from the .env file: the warning names file and line. */
START_TEST(test_shadowed_dotenv)
{
	load_ok("symbol: ETHUSDT\norder_config:\n  levels: 4\n",
	    "EXCHANGE_ENV=sim\nPMM_ORDER_CONFIG_LEVELS=6\n");
	ck_assert(t.c.shadowed[CFG_ORDER_LEVELS]);
	ck_assert(!t.c.shadowed[CFG_SYMBOL]);
	ck_assert_str_eq(t.c.warnings, "PMM_ORDER_CONFIG_LEVELS=6 from "
	    ".env:2 is shadowed by config.yaml:3: order_config.levels (the YAML "
	    "file wins; remove the key there to use it)\n");
}
END_TEST

/* pmmctl's way to a running tree when the file on disk no longer loads. */
START_TEST(test_peek_instance)
{
	char	b[64];

	put("config.yaml", "instance_id: mm1\norder_config:\n  levles: 3\n",
	    0644);
	ck_assert_int_eq(cfg_load(&t.c, "config.yaml", NULL, t.err,
	    sizeof(t.err)), -1);
	cfg_peek_instance("config.yaml", b, sizeof(b));
	ck_assert_str_eq(b, "mm1");
	/* not even YAML any more: the top-level line still names it */
	put("config.yaml", "strategy_name: s2\ninstance_id: 'mm2' # x\n"
	    "order_config: [\n", 0644);
	cfg_peek_instance("config.yaml", b, sizeof(b));
	ck_assert_str_eq(b, "mm2");
	/* instance_id missing: strategy_name, as cfg_load derives it */
	put("config.yaml", "strategy_name: s3\nlevels: {\n", 0644);
	cfg_peek_instance("config.yaml", b, sizeof(b));
	ck_assert_str_eq(b, "s3");
	/* a nested instance_id is not the top-level key */
	put("config.yaml", "risk:\n  instance_id: no\n", 0644);
	setenv("PMM_INSTANCE_ID", "fromenv", 1);
	cfg_peek_instance("config.yaml", b, sizeof(b));
	ck_assert_str_eq(b, "fromenv");
	unsetenv("PMM_INSTANCE_ID");
	cfg_peek_instance("missing.yaml", b, sizeof(b));
	ck_assert_str_eq(b, "simple_mm");
	/* a value no instance could have is not used */
	put("config.yaml", "instance_id: \"a/b\"\n", 0644);
	cfg_peek_instance("config.yaml", b, sizeof(b));
	ck_assert_str_eq(b, "simple_mm");
}
END_TEST

START_TEST(test_prec_yaml_over_dotenv)
{
	load_ok("order_config:\n  levels: 4\n", "PMM_ORDER_CONFIG_LEVELS=6\n");
	ck_assert_int_eq(t.c.order.levels, 4);
	ck_assert_int_eq(t.c.src[CFG_ORDER_LEVELS], CFG_SRC_YAML);
}
END_TEST

/* The value YAML overrides is not even looked at: a bad one is harmless. */
START_TEST(test_prec_yaml_hides_bad_env)
{
	setenv("PMM_LEVERAGE", "500", 1);
	load_ok("leverage: 20\n", NULL);
	ck_assert_int_eq(t.c.leverage, 20);
}
END_TEST

/* Each type through each source at once. */
START_TEST(test_prec_types)
{
	setenv("PMM_SYMBOL", "ethusdt", 1);
	setenv("PMM_ORDER_CONFIG_REFRESH_MODE", "tolerance", 1);
	load_ok("logging:\n  log_to_csv: false\n  log_level: debug\n",
	    "PMM_ORDER_CONFIG_PRICE_OFFSET_PERCENT=0.25\n"
	    "PMM_SYMBOL=xrpusdt\nPMM_LOGGING_LOG_LEVEL=error\n");
	ck_assert_str_eq(t.c.symbol, "ETHUSDT");
	ck_assert_int_eq(t.c.src[CFG_SYMBOL], CFG_SRC_ENV);
	ck_assert_int_eq(t.c.order.refresh_mode, CFG_REFRESH_TOLERANCE);
	ck_assert_int_eq(t.c.src[CFG_ORDER_REFRESH_MODE], CFG_SRC_ENV);
	ck_assert_double_eq(t.c.order.price_offset_percent, 0.25);
	ck_assert_int_eq(t.c.src[CFG_ORDER_PRICE_OFFSET_PCT], CFG_SRC_ENV);
	ck_assert(!t.c.logging.log_to_csv);
	ck_assert_int_eq(t.c.src[CFG_LOG_TO_CSV], CFG_SRC_YAML);
	ck_assert_int_eq(t.c.logging.log_level, LOG_LVL_DEBUG);
	ck_assert_int_eq(t.c.src[CFG_LOG_LEVEL], CFG_SRC_YAML);
	ck_assert_int_eq(t.c.src[CFG_LEVERAGE], CFG_SRC_DEFAULT);
	assert_line("symbol = ETHUSDT  (env)");
	assert_line("logging.log_to_csv = false  (yaml)");
	assert_line("order_config.price_offset_percent = 0.25  (env)");
}
END_TEST

START_TEST(test_instance_id)
{
	load_ok("strategy_name: grid-2\n", NULL);
	ck_assert_str_eq(t.c.instance_id, "grid-2");
	ck_assert_int_eq(t.c.src[CFG_INSTANCE_ID], CFG_SRC_DEFAULT);
	setenv("PMM_INSTANCE_ID", "eth_a", 1);
	load_ok("strategy_name: grid-2\n", NULL);
	ck_assert_str_eq(t.c.instance_id, "eth_a");
	ck_assert_int_eq(t.c.src[CFG_INSTANCE_ID], CFG_SRC_ENV);
	load_ok("strategy_name: grid-2\ninstance_id: eth_b\n", NULL);
	ck_assert_str_eq(t.c.instance_id, "eth_b");
	ck_assert_int_eq(t.c.src[CFG_INSTANCE_ID], CFG_SRC_YAML);
}
END_TEST

/* ---------------------------------------------------------------- */
/* Every key through every source                                       */

struct keyval {
	enum cfg_key	 key;
	const char	*env;
	const char	*val;		/* as written */
	const char	*shown;		/* as printed */
};

static const struct keyval every[] = {
	{ CFG_INSTANCE_ID, "PMM_INSTANCE_ID", "bot-1", "bot-1" },
	{ CFG_STRATEGY_NAME, "PMM_STRATEGY_NAME", "my_mm", "my_mm" },
	{ CFG_SYMBOL, "PMM_SYMBOL", "ethusdt", "ETHUSDT" },
	{ CFG_LEVERAGE, "PMM_LEVERAGE", "10", "10" },
	{ CFG_INITIAL_CAPITAL, "PMM_INITIAL_CAPITAL", "20000", "20000" },
	{ CFG_MAX_NET_POSITION_RATIO, "PMM_MAX_NET_POSITION_RATIO", "0.5",
	    "0.5" },
	{ CFG_ORDER_LEVELS, "PMM_ORDER_CONFIG_LEVELS", "5", "5" },
	{ CFG_ORDER_QTY_USDT, "PMM_ORDER_CONFIG_QUANTITY_PER_ORDER_USDT",
	    "200", "200" },
	{ CFG_ORDER_PRICE_OFFSET_PCT, "PMM_ORDER_CONFIG_PRICE_OFFSET_PERCENT",
	    "0.05", "0.05" },
	{ CFG_ORDER_REFRESH_MODE, "PMM_ORDER_CONFIG_REFRESH_MODE", "tolerance",
	    "tolerance" },
	{ CFG_ORDER_REFRESH_TOLERANCE_PCT,
	    "PMM_ORDER_CONFIG_REFRESH_TOLERANCE_PERCENT", "0.02", "0.02" },
	{ CFG_ORDER_MAX_SPREAD_PCT, "PMM_ORDER_CONFIG_MAX_SPREAD_PERCENT",
	    "0.5", "0.5" },
	{ CFG_ORDER_MAX_MARK_DEV_PCT,
	    "PMM_ORDER_CONFIG_MAX_MARK_DEVIATION_PERCENT", "3", "3" },
	{ CFG_ORDER_MAX_MID_JUMP_PCT, "PMM_ORDER_CONFIG_MAX_MID_JUMP_PERCENT",
	    "7.5", "7.5" },
	{ CFG_ORDER_MID_JUMP_WINDOW, "PMM_ORDER_CONFIG_MID_JUMP_WINDOW", "30",
	    "30" },
	{ CFG_REFRESH_ORDERBOOK_INTERVAL,
	    "PMM_REFRESH_CONFIG_ORDERBOOK_REFRESH_INTERVAL", "2.5", "2.5" },
	{ CFG_REFRESH_RISK_INTERVAL, "PMM_REFRESH_CONFIG_RISK_CHECK_INTERVAL",
	    "0.5", "0.5" },
	{ CFG_LOG_TO_CSV, "PMM_LOGGING_LOG_TO_CSV", "no", "false" },
	{ CFG_LOG_DIRECTORY, "PMM_LOGGING_LOG_DIRECTORY", "/var/log/pmm",
	    "/var/log/pmm" },
	{ CFG_LOG_LEVEL, "PMM_LOGGING_LOG_LEVEL", "debug", "debug" },
	{ CFG_LOG_SUMMARY_INTERVAL, "PMM_LOGGING_SUMMARY_INTERVAL", "5", "5" },
	{ CFG_MARKET_STALE_AFTER, "PMM_MARKET_STALE_AFTER", "10", "10" },
	{ CFG_RISK_MAX_LOSS_USDT, "PMM_RISK_MAX_LOSS_USDT", "500", "500" },
	{ CFG_RISK_AUTO_RESUME_AFTER, "PMM_RISK_AUTO_RESUME_AFTER", "0", "0" },
	{ CFG_RISK_ADOPT_POSITION, "PMM_RISK_ADOPT_POSITION", "yes", "true" },
	{ CFG_INV_TARGET_USDT, "PMM_INVENTORY_TARGET_USDT", "-250", "-250" },
	{ CFG_INV_SOFT_LIMIT_RATIO, "PMM_INVENTORY_SOFT_LIMIT_RATIO", "0.7",
	    "0.7" },
	{ CFG_SKEW_PRICE_SKEW_PCT, "PMM_SKEW_MM_PRICE_SKEW_PERCENT", "0.05",
	    "0.05" },
	{ CFG_SKEW_SIZE_SKEW, "PMM_SKEW_MM_SIZE_SKEW", "1", "1" },
	{ CFG_AS_GAMMA, "PMM_AVELLANEDA_MM_GAMMA", "0.5", "0.5" },
	{ CFG_AS_HORIZON, "PMM_AVELLANEDA_MM_HORIZON", "30", "30" },
	{ CFG_AS_HORIZON_MODE, "PMM_AVELLANEDA_MM_HORIZON_MODE", "finite",
	    "finite" },
	{ CFG_GLFT_GAMMA, "PMM_GLFT_MM_GAMMA", "0.02", "0.02" },
	{ CFG_EST_LIVE, "PMM_ESTIMATOR_LIVE", "no", "false" },
	{ CFG_EST_WINDOW, "PMM_ESTIMATOR_WINDOW", "120", "120" },
	{ CFG_EST_SAMPLE_INTERVAL, "PMM_ESTIMATOR_SAMPLE_INTERVAL", "0.5",
	    "0.5" },
	{ CFG_EST_DEPTH_STEP_BP, "PMM_ESTIMATOR_DEPTH_STEP_BP", "0.1", "0.1" },
	{ CFG_EST_MIN_TRADES, "PMM_ESTIMATOR_MIN_TRADES", "500", "500" },
	{ CFG_EST_FALLBACK_SIGMA_BP, "PMM_ESTIMATOR_FALLBACK_SIGMA_BP", "3.5",
	    "3.5" },
	{ CFG_EST_FALLBACK_A, "PMM_ESTIMATOR_FALLBACK_A", "12", "12" },
	{ CFG_EST_FALLBACK_K, "PMM_ESTIMATOR_FALLBACK_K", "0.6", "0.6" },
	{ CFG_EXCH_COUNTDOWN_MS, "PMM_EXCHANGE_COUNTDOWN_CANCEL_MS", "0", "0" },
	{ CFG_EXCH_RECV_WINDOW_MS, "PMM_EXCHANGE_RECV_WINDOW_MS", "10000",
	    "10000" },
	{ CFG_SUP_MAX_DEATHS, "PMM_SUPERVISOR_MAX_DEATHS", "10", "10" },
	{ CFG_SUP_DEATH_WINDOW, "PMM_SUPERVISOR_DEATH_WINDOW", "120", "120" },
	{ CFG_SUP_BACKOFF_INITIAL, "PMM_SUPERVISOR_BACKOFF_INITIAL", "1", "1" },
	{ CFG_SUP_BACKOFF_MAX, "PMM_SUPERVISOR_BACKOFF_MAX", "60", "60" },
	{ CFG_SUP_HEARTBEAT_INTERVAL, "PMM_SUPERVISOR_HEARTBEAT_INTERVAL", "1",
	    "1" },
	{ CFG_SUP_HEARTBEAT_TIMEOUT, "PMM_SUPERVISOR_HEARTBEAT_TIMEOUT", "5",
	    "5" },
	{ CFG_SUP_READY_TIMEOUT, "PMM_SUPERVISOR_READY_TIMEOUT", "20", "20" },
	{ CFG_SUP_STOP_TIMEOUT, "PMM_SUPERVISOR_STOP_TIMEOUT", "10", "10" },
	{ CFG_METRICS_ENABLED, "PMM_METRICS_ENABLED", "yes", "true" },
	{ CFG_METRICS_ADDRESS, "PMM_METRICS_LISTEN_ADDRESS", "127.0.0.2",
	    "127.0.0.2" },
	{ CFG_METRICS_PORT, "PMM_METRICS_PORT", "9100", "9100" },
	{ CFG_API_KEY, "BINANCE_API_KEY", DEMO_API_KEY, "****(64 chars)" },
	{ CFG_SECRET_KEY, "BINANCE_SECRET_KEY", DEMO_SECRET, "****(64 chars)" },
	{ CFG_EXCHANGE_ENV, "EXCHANGE_ENV", "testnet", "testnet" },
	{ CFG_LISTEN_KEY_REFRESH, "LISTEN_KEY_REFRESH_INTERVAL", "900", "900" },
	{ CFG_REST_URL, "BINANCE_REST_URL", "http://127.0.0.1:9999",
	    "http://127.0.0.1:9999" },
	{ CFG_WS_URL, "BINANCE_WS_URL", "ws://127.0.0.1:9999",
	    "ws://127.0.0.1:9999" },
};
#define NEVERY	(sizeof(every) / sizeof(every[0]))

static void
assert_every(enum cfg_src yaml_keys_src)
{
	char		line[512];
	enum cfg_src	src;
	size_t		i;

	ck_assert_int_eq(NEVERY, CFG_KEY_COUNT);
	for (i = 0; i < NEVERY; i++) {
		src = every[i].key < CFG_API_KEY ? yaml_keys_src : CFG_SRC_ENV;
		ck_assert_int_eq(every[i].key, i);
		/* test_every_key_yaml puts a decoy under every YAML key */
		snprintf(line, sizeof(line), "%s = %s  (%s%s%s)",
		    cfg_key_name(every[i].key), every[i].shown,
		    cfg_src_name(src), src == CFG_SRC_YAML ?
		    ", shadows environment " : "", src == CFG_SRC_YAML ?
		    every[i].env : "");
		assert_line(line);
		ck_assert_int_eq(t.c.src[every[i].key], src);
	}
}

START_TEST(test_every_key_process_env)
{
	size_t	i;

	for (i = 0; i < NEVERY; i++)
		setenv(every[i].env, every[i].val, 1);
	load_ok("", NULL);
	assert_every(CFG_SRC_ENV);
}
END_TEST

START_TEST(test_every_key_dotenv)
{
	char	env[8192];
	size_t	i, n = 0;

	for (i = 0; i < NEVERY; i++)
		n += snprintf(env + n, sizeof(env) - n, "%s=%s\n",
		    every[i].env, every[i].val);
	load_ok("", env);
	assert_every(CFG_SRC_ENV);
}
END_TEST

/* YAML for the YAML keys (grouped under their sections), .env the rest. */
START_TEST(test_every_key_yaml)
{
	char		 yaml[8192], env[2048], sect[64] = "";
	const char	*name, *dot;
	size_t		 i, y = 0, e = 0;

	for (i = 0; i < NEVERY; i++) {
		name = cfg_key_name(every[i].key);
		if (every[i].key >= CFG_API_KEY) {
			e += snprintf(env + e, sizeof(env) - e, "%s=%s\n",
			    every[i].env, every[i].val);
			continue;
		}
		/* A decoy in the environment that YAML must beat. */
		setenv(every[i].env, "junk", 1);
		if ((dot = strchr(name, '.')) == NULL) {
			y += snprintf(yaml + y, sizeof(yaml) - y, "%s: %s\n",
			    name, every[i].val);
			sect[0] = '\0';
			continue;
		}
		if (strncmp(sect, name, dot - name) != 0 ||
		    sect[dot - name] != '\0') {
			snprintf(sect, sizeof(sect), "%.*s", (int)(dot - name),
			    name);
			y += snprintf(yaml + y, sizeof(yaml) - y, "%s:\n",
			    sect);
		}
		y += snprintf(yaml + y, sizeof(yaml) - y, "  %s: %s\n", dot + 1,
		    every[i].val);
	}
	load_ok(yaml, env);
	assert_every(CFG_SRC_YAML);
}
END_TEST

/* ---------------------------------------------------------------- */
/* .env syntax, URLs, masking, warnings                                 */

START_TEST(test_dotenv_syntax)
{
	load_ok("", "# comment line\n"
	    "\n"
	    "   \n"
	    "export EXCHANGE_ENV=testnet\n"
	    "BINANCE_API_KEY = 'abc#def'\n"
	    "BINANCE_SECRET_KEY=\"s3cr#et\"   # trailing comment\n"
	    "PMM_SYMBOL=ethusdt # inline comment\n"
	    "OTHER_TOOL_SETTING=whatever you like\n"
	    "lowercase_other=1\n"
	    "  PMM_ORDER_CONFIG_LEVELS=7\r\n"
	    "PMM_LEVERAGE=3\n"
	    "PMM_LEVERAGE=4\n"
	    "PMM_MARKET_STALE_AFTER=\n"
	    "export PMM_LOGGING_LOG_DIRECTORY=\"my logs/x\"");
	ck_assert_int_eq(t.c.exchange_env, CFG_ENV_TESTNET);
	ck_assert_str_eq(t.k->api_key, "abc#def");
	ck_assert_str_eq(t.k->secret_key, "s3cr#et");
	ck_assert_str_eq(t.c.symbol, "ETHUSDT");
	ck_assert_int_eq(t.c.order.levels, 7);
	ck_assert_int_eq(t.c.leverage, 4);		/* last one wins */
	ck_assert_int_eq(t.c.src[CFG_MARKET_STALE_AFTER], CFG_SRC_DEFAULT);
	ck_assert_str_eq(t.c.logging.log_directory, "my logs/x");
}
END_TEST

START_TEST(test_dotenv_missing)
{
	setenv("PMM_LEVERAGE", "9", 1);
	load_ok("", NULL);
	ck_assert_int_eq(t.c.leverage, 9);
	ck_assert_int_eq(cfg_load(&t.c, "config.yaml", NULL, t.err,
	    sizeof(t.err)), 0);
	ck_assert_int_eq(t.c.leverage, 9);
	ck_assert_int_eq(cfg_load(&t.c, NULL, NULL, t.err, sizeof(t.err)), 0);
	ck_assert_int_eq(t.c.leverage, 9);
}
END_TEST

/* A named env file that is not there is an error, not "no secrets". */
START_TEST(test_env_file_named)
{
	ck_assert_int_eq(cfg_env_file_check("missing.env", t.err,
	    sizeof(t.err)), -1);
	ck_assert_str_eq(t.err, "missing.env: cannot read: No such file or "
	    "directory");
	put("there.env", "BINANCE_API_KEY=k\n", 0600);
	ck_assert_int_eq(cfg_env_file_check("there.env", t.err,
	    sizeof(t.err)), 0);
	ck_assert_int_eq(mkdir("sub", 0700), 0);
	put("sub/x.env", "", 0600);
	ck_assert_int_eq(cfg_env_file_check("sub/x.env/y", t.err,
	    sizeof(t.err)), -1);
	ck_assert_str_eq(t.err, "sub/x.env/y: cannot read: Not a directory");
}
END_TEST

/* Both keys, on every EXCHANGE_ENV, from the file or the environment. */
START_TEST(test_keys_required)
{
	load_ok("", NULL);
	ck_assert_int_eq(cfg_check_keys(&t.c, t.err, sizeof(t.err)), -1);
	ck_assert_str_eq(t.err, "BINANCE_API_KEY is not set (no file .env, "
	    "nor in the environment); every account request pmm sends is "
	    "signed: set BINANCE_API_KEY and BINANCE_SECRET_KEY");
	load_ok("", "EXCHANGE_ENV=sim\nBINANCE_API_KEY=" DEMO_API_KEY "\n");
	ck_assert_int_eq(cfg_check_keys(&t.c, t.err, sizeof(t.err)), -1);
	ck_assert_str_eq(t.err, "BINANCE_SECRET_KEY is not set (not in .env, "
	    "nor in the environment); every account request pmm sends is "
	    "signed: set BINANCE_API_KEY and BINANCE_SECRET_KEY");
	ck_assert_ptr_null(strstr(t.err, DEMO_API_KEY));
	setenv("BINANCE_SECRET_KEY", DEMO_SECRET, 1);
	load_ok("", NULL);
	ck_assert_int_eq(cfg_check_keys(&t.c, t.err, sizeof(t.err)), 0);
	unlink(".env");		/* the environment alone will do */
	setenv("BINANCE_API_KEY", DEMO_API_KEY, 1);
	load_ok("", NULL);
	ck_assert_int_eq(cfg_check_keys(&t.c, t.err, sizeof(t.err)), 0);
}
END_TEST

START_TEST(test_urls)
{
	static const struct {
		const char	*env, *rest, *ws;
		enum cfg_env	 e;
	} u[] = {
		{ "sim", "http://127.0.0.1:18080", "ws://127.0.0.1:18080",
		    CFG_ENV_SIM },
		{ "testnet", "https://demo-fapi.binance.com",
		    "wss://fstream.binancefuture.com", CFG_ENV_TESTNET },
		{ "LIVE", "https://fapi.binance.com",
		    "wss://fstream.binance.com", CFG_ENV_LIVE },
	};
	size_t	i;

	setenv("BINANCE_API_KEY", "k", 1);
	setenv("BINANCE_SECRET_KEY", "s", 1);
	for (i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
		setenv("EXCHANGE_ENV", u[i].env, 1);
		load_ok("", NULL);
		ck_assert_int_eq(t.c.exchange_env, u[i].e);
		ck_assert_str_eq(t.c.rest_url, u[i].rest);
		ck_assert_str_eq(t.c.ws_url, u[i].ws);
		ck_assert_int_eq(t.c.src[CFG_REST_URL], CFG_SRC_DEFAULT);
		ck_assert_int_eq(t.c.src[CFG_WS_URL], CFG_SRC_DEFAULT);
		ck_assert_ptr_null(strstr(t.c.warnings, "overridden"));
	}
}
END_TEST

START_TEST(test_url_override)
{
	setenv("EXCHANGE_ENV", "testnet", 1);
	setenv("BINANCE_API_KEY", "k", 1);
	setenv("BINANCE_SECRET_KEY", "s", 1);
	load_ok("", "BINANCE_REST_URL=https://testnet.binancefuture.com\n");
	ck_assert_str_eq(t.c.rest_url, "https://testnet.binancefuture.com");
	ck_assert_int_eq(t.c.src[CFG_REST_URL], CFG_SRC_ENV);
	ck_assert_str_eq(t.c.ws_url, "wss://fstream.binancefuture.com");
	ck_assert_int_eq(t.c.src[CFG_WS_URL], CFG_SRC_DEFAULT);
	ck_assert_ptr_nonnull(strstr(t.c.warnings, "exchange URLs overridden "
	    "for EXCHANGE_ENV=testnet: https://testnet.binancefuture.com and "
	    "wss://fstream.binancefuture.com"));
	setenv("BINANCE_WS_URL", "ws://127.0.0.1:1/x", 1);
	load_ok("", "BINANCE_REST_URL=https://testnet.binancefuture.com\n");
	ck_assert_str_eq(t.c.ws_url, "ws://127.0.0.1:1/x");
	ck_assert_int_eq(t.c.src[CFG_WS_URL], CFG_SRC_ENV);
	/* the local exchange on a port of its own is no news */
	setenv("EXCHANGE_ENV", "sim", 1);
	load_ok("", "BINANCE_REST_URL=http://127.0.0.1:1\n");
	ck_assert_str_eq(t.c.warnings, "");
}
END_TEST

START_TEST(test_masking)
{
	load_ok("", "BINANCE_API_KEY=" DEMO_API_KEY "\nBINANCE_SECRET_KEY="
	    DEMO_SECRET "\n");
	print_cfg(&t.c);
	ck_assert_ptr_null(strstr(t.out, DEMO_SECRET));
	ck_assert_ptr_null(strstr(t.out, DEMO_API_KEY));
	ck_assert_ptr_null(strstr(t.out, "1FIzcq"));	/* not even a prefix */
	assert_line("BINANCE_SECRET_KEY = ****(64 chars)  (env)");
	assert_line("BINANCE_API_KEY = ****(64 chars)  (env)");
	load_ok("", "");
	assert_line("BINANCE_SECRET_KEY = (not set)  (default)");
}
END_TEST

/* A refused secret is described, never quoted. */
START_TEST(test_masking_errors)
{
	ck_assert_int_eq(load("", "BINANCE_SECRET_KEY=\"" DEMO_SECRET
	    " x\"\n"), -1);
	ck_assert_ptr_null(strstr(t.err, "1FIzcq"));
	ck_assert_str_eq(t.err, ".env:1: BINANCE_SECRET_KEY: a value of 66 "
	    "characters is not valid (valid: 0..127 characters, printable "
	    "non-space ASCII)");
	ck_assert_int_eq(load("", "BINANCE_SECRET_KEY " DEMO_SECRET "\n"), -1);
	ck_assert_ptr_null(strstr(t.err, "1FIzcq"));
	setenv("BINANCE_API_KEY", DEMO_SECRET DEMO_SECRET DEMO_SECRET, 1);
	ck_assert_int_eq(load("", ""), -1);
	ck_assert_ptr_null(strstr(t.err, "1FIzcq"));
	ck_assert_str_eq(t.err, "environment BINANCE_API_KEY: a value of 192 "
	    "characters is not valid (valid: 0..127 characters, printable "
	    "non-space ASCII)");
}
END_TEST

START_TEST(test_print_format)
{
	char	*line, *save = NULL;
	int	 n = 0;

	load_ok("leverage: 7\n", NULL);
	print_cfg(&t.c);
	for (line = strtok_r(t.out, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save), n++) {
		ck_assert_ptr_nonnull(strstr(line, cfg_key_name(n)));
		ck_assert_msg(strncmp(line, cfg_key_name(n),
		    strlen(cfg_key_name(n))) == 0, "line %d: %s", n, line);
	}
	ck_assert_int_eq(n, CFG_KEY_COUNT);
	assert_line("leverage = 7  (yaml)");
	assert_line("instance_id = simple_mm  (default)");
	assert_line("EXCHANGE_ENV = sim  (default)");
	assert_line("supervisor.backoff_initial = 0.5  (default)");
	assert_line("logging.log_level = info  (default)");
	assert_line("BINANCE_REST_URL = http://127.0.0.1:18080  (default)");
}
END_TEST

START_TEST(test_warn_small_limit)
{
	load_ok("initial_capital: 500\n", NULL);
	ck_assert_str_eq(t.c.warnings, "position limit 100 USDT is less than "
	    "3 orders of 150 USDT: one or two fills will trip the risk stop\n");
}
END_TEST

START_TEST(test_warn_margin)
{
	load_ok("initial_capital: 100\nleverage: 1\nmax_net_position_ratio: 10"
	    "\n", NULL);
	ck_assert_str_eq(t.c.warnings, "3 levels x 2 sides x 150 USDT = 900 "
	    "USDT of open orders needs more margin than initial_capital x "
	    "leverage = 100 USDT\n");
}
END_TEST

START_TEST(test_warn_env_typo)
{
	setenv("PMM_ORDER_CONFIG_LEVLES", "4", 1);
	setenv("PMM_BIN", "/somewhere", 1);	/* other tools' PMM_ vars */
	load_ok("", NULL);
	ck_assert_str_eq(t.c.warnings, "environment PMM_ORDER_CONFIG_LEVLES is "
	    "not a pmm setting (did you mean PMM_ORDER_CONFIG_LEVELS?)\n");
}
END_TEST

START_TEST(test_warn_countdown_off_live)
{
	setenv("EXCHANGE_ENV", "live", 1);
	setenv("BINANCE_API_KEY", "k", 1);
	setenv("BINANCE_SECRET_KEY", "s", 1);
	load_ok("exchange:\n  countdown_cancel_ms: 0\n", NULL);
	ck_assert_str_eq(t.c.warnings, "exchange.countdown_cancel_ms is 0: "
	    "orders stay on the exchange if pmm dies\n");
}
END_TEST

/* YAML niceties: empty sections, quoted numbers, anchors, empty file. */
START_TEST(test_yaml_forms_ok)
{
	load_ok("# nothing but a comment\n", NULL);
	ck_assert_int_eq(t.c.src[CFG_SYMBOL], CFG_SRC_DEFAULT);
	load_ok("---\nrisk:\nsymbol: 'solusdt'\nleverage: \"8\"\n"
	    "supervisor:\n  backoff_initial: &b 0.75\n"
	    "  heartbeat_interval: *b\n...\n", NULL);
	ck_assert_str_eq(t.c.symbol, "SOLUSDT");
	ck_assert_int_eq(t.c.leverage, 8);
	ck_assert_double_eq(t.c.supervisor.heartbeat_interval, 0.75);
	ck_assert_int_eq(t.c.src[CFG_RISK_MAX_LOSS_USDT], CFG_SRC_DEFAULT);
}
END_TEST

/* The edges of each range are inside it. */
START_TEST(test_edges_ok)
{
	static const char *const yaml[] = {
		"leverage: 1\n", "leverage: 125\n",
		"exchange:\n  countdown_cancel_ms: 0\n",
		"exchange:\n  countdown_cancel_ms: 5000\n",
		"exchange:\n  countdown_cancel_ms: 600000\n",
		"exchange:\n  recv_window_ms: 60000\n",
		"order_config:\n  price_offset_percent: 50\n",
		"order_config:\n  levels: 20\n",
		"max_net_position_ratio: 10\n",
		"instance_id: abcdefghij0123456789\n",
		"symbol: ABC\n",
		"market_stale_after: 0.5\n",
		"risk:\n  max_loss_usdt: 0\n  auto_resume_after: 86400\n",
		"supervisor:\n  backoff_initial: 30\n  backoff_max: 30\n",
		"supervisor:\n  heartbeat_interval: 2.99\n",
		"supervisor:\n  max_deaths: 1000\n  death_window: 86400\n",
		"supervisor:\n  stop_timeout: 0.1\n  ready_timeout: 600\n",
		"logging:\n  log_to_csv: Off\n  log_level: ERROR\n",
	};
	size_t	i;

	for (i = 0; i < sizeof(yaml) / sizeof(yaml[0]); i++) {
		ck_assert_msg(load(yaml[i], NULL) == 0, "%s-> %s", yaml[i],
		    t.err);
		ck_assert_str_eq(t.err, "");
	}
	setenv("LISTEN_KEY_REFRESH_INTERVAL", "60", 1);
	load_ok("", NULL);
	setenv("LISTEN_KEY_REFRESH_INTERVAL", "3540", 1);
	load_ok("", NULL);
	ck_assert_int_eq(t.c.listen_key_refresh_interval, 3540);
}
END_TEST

/* ---------------------------------------------------------------- */
/* Bad configurations: -1 and exactly this message                     */

struct bad {
	const char	*yaml;		/* NULL: no config.yaml */
	const char	*dotenv;	/* NULL: no .env */
	const char	*var, *val;	/* one process environment variable */
	const char	*msg;
	mode_t		 envmode;	/* 0: 0600 */
	const char	*yaml_path;	/* NULL: "config.yaml" */
};

static const struct bad bad[] = {
	/* ranges */
	{ .yaml = "symbol: BTCUSDT\norder_config:\n  levels: 0\n",
	    .msg = "config.yaml:3: order_config.levels: 0 is out of range "
	    "(valid: 1..20)" },
	{ .yaml = "metrics:\n  listen_address: 0.0.0.0\n",
	    .msg = "config.yaml:2: metrics.listen_address: \"0.0.0.0\" is not "
	    "valid (valid: 3..63 characters, a loopback address (127.0.0.0/8 "
	    "or ::1))" },
	{ .yaml = "leverage: 126\n",
	    .msg = "config.yaml:1: leverage: 126 is out of range (valid: "
	    "1..125)" },
	{ .yaml = "initial_capital: -5\n",
	    .msg = "config.yaml:1: initial_capital: -5 is out of range "
	    "(valid: > 0)" },
	{ .yaml = "max_net_position_ratio: 11\n",
	    .msg = "config.yaml:1: max_net_position_ratio: 11 is out of range "
	    "(valid: > 0 and <= 10)" },
	{ .yaml = "order_config:\n  max_spread_percent: 0\n",
	    .msg = "config.yaml:2: order_config.max_spread_percent: 0 is "
	    "out of range (valid: > 0 and <= 100)" },
	{ .yaml = "order_config:\n  max_mark_deviation_percent: 60\n",
	    .msg = "config.yaml:2: order_config.max_mark_deviation_percent: "
	    "60 is out of range (valid: > 0 and <= 50)" },
	{ .yaml = "order_config:\n  max_mid_jump_percent: -1\n",
	    .msg = "config.yaml:2: order_config.max_mid_jump_percent: -1 is "
	    "out of range (valid: > 0 and <= 100)" },
	{ .yaml = "order_config:\n  mid_jump_window: 0\n",
	    .msg = "config.yaml:2: order_config.mid_jump_window: 0 is "
	    "out of range (valid: 0.1..3600)" },
	{ .yaml = "order_config:\n  price_offset_percent: 0\n",
	    .msg = "config.yaml:2: order_config.price_offset_percent: 0 is "
	    "out of range (valid: > 0 and <= 50)" },
	{ .yaml = "order_config:\n  quantity_per_order_usdt: 0\n",
	    .msg = "config.yaml:2: order_config.quantity_per_order_usdt: 0 is "
	    "out of range (valid: > 0)" },
	{ .yaml = "exchange:\n  countdown_cancel_ms: 1000\n",
	    .msg = "config.yaml:2: exchange.countdown_cancel_ms: 1000 is out "
	    "of range (valid: 0 or 5000..600000)" },
	{ .yaml = "exchange:\n  recv_window_ms: 60001\n",
	    .msg = "config.yaml:2: exchange.recv_window_ms: 60001 is out of "
	    "range (valid: 1..60000)" },
	{ .yaml = "refresh_config:\n  orderbook_refresh_interval: 0.05\n",
	    .msg = "config.yaml:2: refresh_config.orderbook_refresh_interval: "
	    "0.05 is out of range (valid: 0.1..3600)" },
	{ .yaml = "market_stale_after: 0\n",
	    .msg = "config.yaml:1: market_stale_after: 0 is out of range "
	    "(valid: 0.5..3600)" },
	/* the inventory-aware strategies and the estimator */
	{ .yaml = "inventory:\n  target_usdt: 900\n",
	    .msg = "config.yaml:2: inventory.target_usdt: 900 is out of range "
	    "(valid: -800 to 800, inventory.soft_limit_ratio x "
	    "initial_capital x max_net_position_ratio)" },
	{ .yaml = "inventory:\n  soft_limit_ratio: 1\n",
	    .msg = "config.yaml:2: inventory.soft_limit_ratio: 1 is out of "
	    "range (valid: 0.05..0.95)" },
	{ .yaml = "skew_mm:\n  price_skew_percent: 6\n",
	    .msg = "config.yaml:2: skew_mm.price_skew_percent: 6 is out of "
	    "range (valid: 0..5)" },
	{ .yaml = "skew_mm:\n  size_skew: 1.5\n",
	    .msg = "config.yaml:2: skew_mm.size_skew: 1.5 is out of range "
	    "(valid: 0..1)" },
	{ .yaml = "avellaneda_mm:\n  gamma: 0\n",
	    .msg = "config.yaml:2: avellaneda_mm.gamma: 0 is out of range "
	    "(valid: > 0 and <= 100)" },
	{ .yaml = "avellaneda_mm:\n  horizon: 0.01\n",
	    .msg = "config.yaml:2: avellaneda_mm.horizon: 0.01 is out of range "
	    "(valid: 0.1..86400)" },
	{ .yaml = "avellaneda_mm:\n  horizon_mode: daily\n",
	    .msg = "config.yaml:2: avellaneda_mm.horizon_mode: \"daily\" is "
	    "not valid (valid: infinite, finite)" },
	{ .yaml = "glft_mm:\n  gamma: -0.1\n",
	    .msg = "config.yaml:2: glft_mm.gamma: -0.1 is out of range "
	    "(valid: > 0 and <= 100)" },
	{ .yaml = "estimator:\n  window: 5\n",
	    .msg = "config.yaml:2: estimator.window: 5 is out of range "
	    "(valid: 10..3600)" },
	{ .yaml = "estimator:\n  sample_interval: 0\n",
	    .msg = "config.yaml:2: estimator.sample_interval: 0 is out of range "
	    "(valid: 0.1..60)" },
	{ .yaml = "estimator:\n  min_trades: 5\n",
	    .msg = "config.yaml:2: estimator.min_trades: 5 is out of range "
	    "(valid: 10..1000000)" },
	{ .yaml = "estimator:\n  fallback_k: 0\n",
	    .msg = "config.yaml:2: estimator.fallback_k: 0 is out of range "
	    "(valid: > 0 and <= 1000)" },
	{ .yaml = "", .var = "PMM_ESTIMATOR_FALLBACK_SIGMA_BP", .val = "-2",
	    .msg = "environment PMM_ESTIMATOR_FALLBACK_SIGMA_BP: -2 is out of "
	    "range (valid: > 0 and <= 1000)" },
	{ .yaml = "risk:\n  max_loss_usdt: -1\n",
	    .msg = "config.yaml:2: risk.max_loss_usdt: -1 is out of range "
	    "(valid: >= 0)" },
	{ .yaml = "supervisor:\n  max_deaths: 0\n",
	    .msg = "config.yaml:2: supervisor.max_deaths: 0 is out of range "
	    "(valid: 1..1000)" },
	/* keys bounded by other keys: the one the user set is blamed */
	{ .yaml = "supervisor:\n  backoff_initial: 0.5\n  backoff_max: 0.2\n",
	    .msg = "config.yaml:3: supervisor.backoff_max: 0.2 is out of "
	    "range (valid: 0.01..3600 and at least supervisor.backoff_initial "
	    "= 0.5)" },
	{ .yaml = "supervisor:\n  heartbeat_interval: 5\n",
	    .msg = "config.yaml:2: supervisor.heartbeat_interval: 5 is out of "
	    "range (valid: 0.05..60 and less than "
	    "supervisor.heartbeat_timeout = 3)" },
	{ .yaml = "supervisor:\n  heartbeat_interval: 1\n  heartbeat_timeout: "
	    "1\n",
	    .msg = "config.yaml:3: supervisor.heartbeat_timeout: 1 is out of "
	    "range (valid: > 0.05 and <= 600 and greater than "
	    "supervisor.heartbeat_interval = 1)" },
	/* types */
	{ .yaml = "leverage: five\n",
	    .msg = "config.yaml:1: leverage: expected a number, got \"five\" "
	    "(valid: 1..125)" },
	{ .yaml = "leverage: 2.5\n",
	    .msg = "config.yaml:1: leverage: expected a whole number, got "
	    "\"2.5\" (valid: 1..125)" },
	{ .yaml = "logging:\n  log_to_csv: maybe\n",
	    .msg = "config.yaml:2: logging.log_to_csv: expected true or "
	    "false, got \"maybe\"" },
	{ .yaml = "risk:\n  adopt_position: sometimes\n",
	    .msg = "config.yaml:2: risk.adopt_position: expected true or "
	    "false, got \"sometimes\"" },
	{ .yaml = "logging:\n  log_level: verbose\n",
	    .msg = "config.yaml:2: logging.log_level: \"verbose\" is not "
	    "valid (valid: error, warn, info, debug)" },
	{ .yaml = "order_config:\n  refresh_mode: sometimes\n",
	    .msg = "config.yaml:2: order_config.refresh_mode: \"sometimes\" "
	    "is not valid (valid: replace, tolerance)" },
	{ .yaml = "leverage:\n",
	    .msg = "config.yaml:1: leverage: no value given (valid: 1..125)" },
	/* strings */
	{ .yaml = "symbol: BTC-USDT\n",
	    .msg = "config.yaml:1: symbol: \"BTC-USDT\" is not valid (valid: "
	    "3..20 characters, A-Z 0-9)" },
	{ .yaml = "instance_id: abcdefghij0123456789x\n",
	    .msg = "config.yaml:1: instance_id: \"abcdefghij0123456789x\" is "
	    "not valid (valid: 1..20 characters, A-Z a-z 0-9 _ -)" },
	{ .yaml = "strategy_name: \"my bot\"\n",
	    .msg = "config.yaml:1: strategy_name: \"my bot\" is not valid "
	    "(valid: 1..20 characters, A-Z a-z 0-9 _ -)" },
	{ .yaml = "logging:\n  log_directory: ''\n",
	    .msg = "config.yaml:2: logging.log_directory: must not be empty "
	    "(valid: 1..4095 characters, printable characters)" },
	/* structure */
	{ .yaml = "order_config:\n  levles: 3\n",
	    .msg = "config.yaml:2: unknown key \"levles\" in order_config "
	    "(did you mean \"levels\"?)" },
	{ .yaml = "symbl: BTCUSDT\n",
	    .msg = "config.yaml:1: unknown key \"symbl\" at the top level "
	    "(did you mean \"symbol\"?)" },
	{ .yaml = "order_config:\n  colour: red\n",
	    .msg = "config.yaml:2: unknown key \"colour\" in order_config "
	    "(valid: levels, quantity_per_order_usdt, price_offset_percent, "
	    "refresh_mode, refresh_tolerance_percent, max_spread_percent, "
	    "max_mark_deviation_percent, max_mid_jump_percent, mid_jump_window)" },
	{ .yaml = "supervisr:\n  max_deaths: 3\n",
	    .msg = "config.yaml:1: unknown key \"supervisr\" at the top level "
	    "(did you mean \"supervisor\"?)" },
	{ .yaml = "symbol: BTCUSDT\nleverage: 3\nsymbol: ETHUSDT\n",
	    .msg = "config.yaml:3: duplicate key \"symbol\" at the top level "
	    "(first at line 1)" },
	{ .yaml = "risk:\n  max_loss_usdt: 1\n  max_loss_usdt: 2\n",
	    .msg = "config.yaml:3: duplicate key \"max_loss_usdt\" in risk "
	    "(first at line 2)" },
	{ .yaml = "symbol:\n  name: BTCUSDT\n",
	    .msg = "config.yaml:2: symbol: expected a single value, got a "
	    "mapping" },
	{ .yaml = "leverage: [1, 2]\n",
	    .msg = "config.yaml:1: leverage: expected a single value, got a "
	    "list" },
	{ .yaml = "order_config: 3\n",
	    .msg = "config.yaml:1: order_config: expected a mapping of keys, "
	    "got a value" },
	{ .yaml = "- symbol\n- leverage\n",
	    .msg = "config.yaml:1: expected a mapping of keys at the top "
	    "level, got a list" },
	{ .yaml = "symbol: BTCUSDT\n  leverage: 3\n",
	    .msg = "config.yaml:2:11: YAML syntax error: mapping values are "
	    "not allowed in this context" },
	{ .yaml = "symbol: [BTCUSDT\nleverage: 3\n",
	    .msg = "config.yaml:2:9: YAML syntax error: did not find expected "
	    "',' or ']' (while parsing a flow sequence that starts at line "
	    "1)" },
	{ .yaml = "symbol: \"BTCUSDT\n",
	    .msg = "config.yaml:2:1: YAML syntax error: found unexpected end "
	    "of stream (while scanning a quoted scalar that starts at line "
	    "1)" },
	{ .yaml = "order_config.levels: 3\n",
	    .msg = "config.yaml:1: unknown key \"order_config.levels\" at the "
	    "top level (write nested keys as a mapping: the section name, a "
	    "colon, then the key indented on the next line)" },
	{ .yaml = "levels: 3\n",
	    .msg = "config.yaml:1: unknown key \"levels\" at the top level "
	    "(did you mean order_config.levels? it goes in that section)" },
	{ .yaml = "symbol: BTCUSDT\n---\nleverage: 3\n",
	    .msg = "config.yaml:2: a second YAML document; put every key in "
	    "one" },
	/* secrets and .env-only keys in the YAML file */
	{ .yaml = "binance_secret_key: abc\n",
	    .msg = "config.yaml:1: binance_secret_key: secrets belong in .env "
	    "(BINANCE_API_KEY, BINANCE_SECRET_KEY, chmod 600), not in the "
	    "YAML file" },
	{ .yaml = "exchange:\n  api_key: abc\n",
	    .msg = "config.yaml:2: api_key: secrets belong in .env "
	    "(BINANCE_API_KEY, BINANCE_SECRET_KEY, chmod 600), not in the "
	    "YAML file" },
	{ .yaml = "exchange_env: live\n",
	    .msg = "config.yaml:1: exchange_env: EXCHANGE_ENV is read from "
	    ".env or the environment only" },
	/* files */
	{ .msg = "config.yaml: cannot open: No such file or directory" },
	{ .yaml = "", .msg = "sub: not a regular file", .yaml_path = "sub" },
	{ .yaml = "", .dotenv = "EXCHANGE_ENV=sim\n",
	    .msg = ".env: mode 0644 lets others read the secrets; run chmod "
	    "600 .env", .envmode = 0644 },
	{ .yaml = "", .dotenv = "EXCHANGE_ENV=sim\n",
	    .msg = ".env: mode 0640 lets others read the secrets; run chmod "
	    "600 .env", .envmode = 0640 },
	/* .env and environment */
	{ .yaml = "", .dotenv = "# ok\nEXCHANGE_ENV sim\n",
	    .msg = ".env:2: expected KEY=VALUE (a name of letters, digits and "
	    "_, then =, then the value)" },
	{ .yaml = "", .dotenv = "BINANCE_SECRET_KEY=\"abc\n",
	    .msg = ".env:1: BINANCE_SECRET_KEY: missing closing \" quote" },
	{ .yaml = "", .dotenv = "PMM_SYMBOL='ETH' USDT\n",
	    .msg = ".env:1: PMM_SYMBOL: unexpected text after the closing ' "
	    "quote" },
	{ .yaml = "", .dotenv = "EXCHANGE_ENV=prod\n",
	    .msg = ".env:1: EXCHANGE_ENV: \"prod\" is not valid (valid: sim, "
	    "testnet, live)" },
	{ .yaml = "", .var = "EXCHANGE_ENV", .val = "mainnet",
	    .msg = "environment EXCHANGE_ENV: \"mainnet\" is not valid "
	    "(valid: sim, testnet, live)" },
	{ .yaml = "", .dotenv = "EXCHANGE_ENV=testnet\n",
	    .msg = ".env: BINANCE_API_KEY is required when "
	    "EXCHANGE_ENV=testnet" },
	{ .yaml = "", .dotenv = "EXCHANGE_ENV=live\nBINANCE_API_KEY=abc\n",
	    .msg = ".env: BINANCE_SECRET_KEY is required when "
	    "EXCHANGE_ENV=live" },
	{ .yaml = "", .var = "PMM_ORDER_CONFIG_LEVELS", .val = "0",
	    .msg = "environment PMM_ORDER_CONFIG_LEVELS: 0 is out of range "
	    "(valid: 1..20)" },
	{ .yaml = "", .dotenv = "\nPMM_SUPERVISOR_MAX_DEATHS=lots\n",
	    .msg = ".env:2: PMM_SUPERVISOR_MAX_DEATHS: expected a number, got "
	    "\"lots\" (valid: 1..1000)" },
	{ .yaml = "", .dotenv = "PMM_ORDER_CONFIG_LEVLES=3\n",
	    .msg = ".env:1: unknown key PMM_ORDER_CONFIG_LEVLES (did you mean "
	    "PMM_ORDER_CONFIG_LEVELS?)" },
	{ .yaml = "", .dotenv = "PMM_COLOUR=red\n",
	    .msg = ".env:1: unknown key PMM_COLOUR (not a pmm setting)" },
	{ .yaml = "", .dotenv = "LISTEN_KEY_REFRESH_INTERVAL=30\n",
	    .msg = ".env:1: LISTEN_KEY_REFRESH_INTERVAL: 30 is out of range "
	    "(valid: 60..3540)" },
	{ .yaml = "", .dotenv = "LISTEN_KEY_REFRESH_INTERVAL=3600\n",
	    .msg = ".env:1: LISTEN_KEY_REFRESH_INTERVAL: 3600 is out of range "
	    "(valid: 60..3540)" },
	{ .yaml = "", .dotenv = "BINANCE_REST_URL=ftp://example\n",
	    .msg = ".env:1: BINANCE_REST_URL: \"ftp://example\" is not valid "
	    "(valid: 8..255 characters, an http:// or https:// URL)" },
	{ .yaml = "", .var = "BINANCE_WS_URL", .val = "http://127.0.0.1:18080",
	    .msg = "environment BINANCE_WS_URL: \"http://127.0.0.1:18080\" is "
	    "not valid (valid: 6..255 characters, a ws:// or wss:// URL)" },
	{ .yaml = "", .var = "PMM_SUPERVISOR_BACKOFF_INITIAL", .val = "100",
	    .msg = "environment PMM_SUPERVISOR_BACKOFF_INITIAL: 100 is out of "
	    "range (valid: 0.01..60)" },
	{ .yaml = "", .var = "PMM_SUPERVISOR_BACKOFF_INITIAL", .val = "40",
	    .msg = "environment PMM_SUPERVISOR_BACKOFF_INITIAL: 40 is out of "
	    "range (valid: 0.01..60 and at most supervisor.backoff_max = 30)" },
};
#define NBAD	((int)(sizeof(bad) / sizeof(bad[0])))

START_TEST(test_bad)
{
	const struct bad	*b = &bad[_i];
	const char		*path = b->yaml_path ? b->yaml_path :
				    "config.yaml";

	if (b->yaml_path != NULL)
		ck_assert_int_eq(mkdir(b->yaml_path, 0755), 0);
	else if (b->yaml != NULL)
		put("config.yaml", b->yaml, 0644);
	if (b->dotenv != NULL)
		put(".env", b->dotenv, b->envmode ? b->envmode : 0600);
	if (b->var != NULL)
		setenv(b->var, b->val, 1);
	ck_assert_int_eq(cfg_load(&t.c, path, ".env", t.err, sizeof(t.err)),
	    -1);
	ck_assert_str_eq(t.err, b->msg);
}
END_TEST

/* A tiny errlen truncates, never overflows; a NULL err is allowed. */
START_TEST(test_err_small)
{
	char	small[16];

	put("config.yaml", "leverage: 0\n", 0644);
	memset(small, 'x', sizeof(small));
	ck_assert_int_eq(cfg_load(&t.c, "config.yaml", NULL, small, 12), -1);
	ck_assert_str_eq(small, "config.yaml");	/* 11 chars + NUL */
	ck_assert_int_eq(small[12], 'x');
	ck_assert_int_eq(cfg_load(&t.c, "config.yaml", NULL, NULL, 0), -1);
}
END_TEST

/* ---- the keys: only where they are needed, never in struct cfg ---- */

#define KEY_A	"AKdistinctive0123456789"
#define KEY_S	"SKdistinctive9876543210abcdef"

/* A plain load (pmmd, pmmctl) knows the keys are there, holds neither. */
START_TEST(test_keys_presence_only)
{
	put("config.yaml", "", 0644);
	put(".env", "EXCHANGE_ENV=testnet\nBINANCE_API_KEY=" KEY_A "\n"
	    "BINANCE_SECRET_KEY=" KEY_S "\n", 0600);
	ck_assert_msg(cfg_load(&t.c, "config.yaml", ".env", t.err,
	    sizeof(t.err)) == 0, "%s", t.err);
	ck_assert_uint_eq(t.c.api_key_len, strlen(KEY_A));
	ck_assert_uint_eq(t.c.secret_key_len, strlen(KEY_S));
	ck_assert_ptr_null(memmem(&t.c, sizeof(t.c), KEY_S, strlen(KEY_S)));
	ck_assert_ptr_null(memmem(&t.c, sizeof(t.c), KEY_A, strlen(KEY_A)));
	assert_line("BINANCE_SECRET_KEY = ****(29 chars)  (env)");
	ck_assert_ptr_null(strstr(print_cfg(&t.c), "SKdistinctive"));
	/* and only a signing load fills a struct cfg_keys */
	ck_assert_msg(cfg_load_keys(&t.c, "config.yaml", ".env", t.k, 0,
	    t.err, sizeof(t.err)) == 0, "%s", t.err);
	ck_assert_str_eq(t.k->secret_key, "");
	ck_assert_int_eq(load("", NULL), 0);
	ck_assert_str_eq(t.k->api_key, KEY_A);
	ck_assert_str_eq(t.k->secret_key, KEY_S);
}
END_TEST

/* Market and logger never read the keys, so none is required of them. */
START_TEST(test_keys_nokeys)
{
	put("config.yaml", "", 0644);
	put(".env", "EXCHANGE_ENV=testnet\nBINANCE_SECRET_KEY=" KEY_S "\n",
	    0600);
	ck_assert_int_eq(cfg_load(&t.c, "config.yaml", ".env", t.err,
	    sizeof(t.err)), -1);
	ck_assert_msg(strstr(t.err, "BINANCE_API_KEY is required") != NULL,
	    "%s", t.err);
	ck_assert_msg(cfg_load_keys(&t.c, "config.yaml", ".env", NULL,
	    CFG_LOAD_NOKEYS, t.err, sizeof(t.err)) == 0, "%s", t.err);
	ck_assert_uint_eq(t.c.secret_key_len, 0);
	ck_assert_int_eq(t.c.src[CFG_SECRET_KEY], CFG_SRC_DEFAULT);
	ck_assert_int_eq(t.c.exchange_env, CFG_ENV_TESTNET);
}
END_TEST

/*
 * The process environment's keys are taken out of it (unset and wiped in
 * place, as a child would otherwise inherit them and a core hold them),
 * into the struct cfg_keys the loader then reads them from; the page is
 * excluded from core dumps.
 */
START_TEST(test_keys_take_env)
{
	char	*orig;

	ck_assert_int_eq(secmem_is_dontdump(t.k), 1);
	ck_assert_int_eq(setenv("BINANCE_SECRET_KEY", KEY_S, 1), 0);
	ck_assert_int_eq(setenv("BINANCE_API_KEY", KEY_A, 1), 0);
	ck_assert_ptr_nonnull(orig = getenv("BINANCE_SECRET_KEY"));
	cfg_keys_take_env(t.k);
	ck_assert_ptr_null(getenv("BINANCE_SECRET_KEY"));
	ck_assert_ptr_null(getenv("BINANCE_API_KEY"));
	ck_assert_int_eq(orig[0], '\0');	/* wiped where it was */
	ck_assert_str_eq(t.k->env[1], "BINANCE_SECRET_KEY=" KEY_S);
	ck_assert_int_eq(load("", ""), 0);
	ck_assert_str_eq(t.k->secret_key, KEY_S);
	ck_assert_str_eq(t.k->api_key, KEY_A);
	ck_assert_int_eq(t.c.src[CFG_SECRET_KEY], CFG_SRC_ENV);
	/* over a value in the file, as the environment always is */
	put(".env", "BINANCE_SECRET_KEY=fromfile\n", 0600);
	ck_assert_int_eq(load(NULL, NULL), 0);
	ck_assert_str_eq(t.k->secret_key, KEY_S);
	/* a load without the struct no longer finds them */
	ck_assert_int_eq(cfg_load(&t.c, "config.yaml", ".env", t.err,
	    sizeof(t.err)), 0);
	ck_assert_uint_eq(t.c.api_key_len, 0);
	/* with NULL: wiped, not kept */
	ck_assert_int_eq(setenv("BINANCE_SECRET_KEY", KEY_S, 1), 0);
	ck_assert_ptr_nonnull(orig = getenv("BINANCE_SECRET_KEY"));
	cfg_keys_take_env(NULL);
	ck_assert_ptr_null(getenv("BINANCE_SECRET_KEY"));
	ck_assert_int_eq(orig[0], '\0');
}
END_TEST

/* The one rule that splits a symbol into base and quote assets. */
START_TEST(test_assets)
{
	char b[16], q[16];

	cfg_symbol_assets("BTCUSDT", b, sizeof(b), q, sizeof(q));
	ck_assert_str_eq(b, "BTC");
	ck_assert_str_eq(q, "USDT");
	cfg_symbol_assets("ETHUSDC", b, sizeof(b), q, sizeof(q));
	ck_assert_str_eq(b, "ETH");
	ck_assert_str_eq(q, "USDC");
	cfg_symbol_assets("1000PEPEUSDT", b, sizeof(b), q, sizeof(q));
	ck_assert_str_eq(b, "1000PEPE");
	cfg_symbol_assets("USDT", b, sizeof(b), q, sizeof(q));
	ck_assert_str_eq(b, "USDT");
	ck_assert_str_eq(q, "USDT");
}
END_TEST

/* --set key=value over the file: parsed and checked like a YAML value,
 * named "--set <key>" in its errors, refused for env-only keys. */
static int
load_set(const char *yaml, const char *const *sets, int n)
{
	put("config.yaml", yaml, 0644);
	return cfg_load_set(&t.c, "config.yaml", NULL, sets, n,
	    CFG_LOAD_NOKEYS, t.err, sizeof(t.err));
}

START_TEST(test_set_overrides)
{
	const char *sets[] = { "order_config.levels=5",
	    "order_config.refresh_mode=tolerance", "symbol=ethusdt" };

	ck_assert_int_eq(load_set("order_config:\n  levels: 2\n", sets, 3), 0);
	ck_assert_int_eq(t.c.order.levels, 5);		/* over the file's 2 */
	ck_assert_int_eq(t.c.order.refresh_mode, CFG_REFRESH_TOLERANCE);
	ck_assert_str_eq(t.c.symbol, "ETHUSDT");
	ck_assert_int_eq(t.c.src[CFG_ORDER_LEVELS], CFG_SRC_SET);
	ck_assert_str_eq(cfg_src_name(CFG_SRC_SET), "--set");
	assert_line("order_config.levels = 5  (--set)");
	/* the last of two wins, as a later line would */
	sets[1] = "order_config.levels=7";
	ck_assert_int_eq(load_set("", sets, 2), 0);
	ck_assert_int_eq(t.c.order.levels, 7);
}
END_TEST

START_TEST(test_set_errors)
{
	const char *bad[][2] = {
		{ "order_config.levle=3",
		  "--set order_config.levle: unknown key (did you mean "
		  "\"order_config.levels\"?)" },
		{ "nothing_like_it=3", "--set nothing_like_it: unknown key" },
		{ "order_config.levels=30",
		  "--set order_config.levels: 30 is out of range (valid: "
		  "1..20)" },
		{ "order_config.levels", "--set order_config.levels: no value "
		  "given" },
		{ "order_config.levels=", "--set order_config.levels: no value "
		  "given" },
		{ "EXCHANGE_ENV=live", "--set EXCHANGE_ENV: unknown key" },
		{ "BINANCE_SECRET_KEY=x", "--set BINANCE_SECRET_KEY: unknown "
		  "key" },
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *one[1] = { bad[i][0] };

		ck_assert_int_eq(load_set("", one, 1), -1);
		ck_assert_msg(strstr(t.err, bad[i][1]) != NULL,
		    "%s: got \"%s\"", bad[i][0], t.err);
	}
	/* a cross-key check blames the key that was set */
	{
		const char *one[1] = { "supervisor.backoff_max=0.1" };

		ck_assert_int_eq(load_set("", one, 1), -1);
		ck_assert_ptr_nonnull(strstr(t.err,
		    "--set supervisor.backoff_max: 0.1 is out of range"));
	}
}
END_TEST

static Suite *
cfg_suite(void)
{
	Suite	*s = suite_create("cfg");
	TCase	*tc;

	tc = tcase_create("load");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_repo_config);
	tcase_add_test(tc, test_repo_testnet);
	tcase_add_test(tc, test_env_example);
	tcase_add_test(tc, test_yaml_forms_ok);
	tcase_add_test(tc, test_edges_ok);
	tcase_add_test(tc, test_dotenv_syntax);
	tcase_add_test(tc, test_set_overrides);
	tcase_add_test(tc, test_set_errors);
	tcase_add_test(tc, test_dotenv_missing);
	tcase_add_test(tc, test_env_file_named);
	tcase_add_test(tc, test_keys_required);
	tcase_add_test(tc, test_keys_presence_only);
	tcase_add_test(tc, test_keys_nokeys);
	tcase_add_test(tc, test_keys_take_env);
	suite_add_tcase(s, tc);

	tc = tcase_create("precedence");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_prec_default);
	tcase_add_test(tc, test_prec_dotenv);
	tcase_add_test(tc, test_prec_process_env);
	tcase_add_test(tc, test_prec_process_over_dotenv);
	tcase_add_test(tc, test_prec_yaml_over_env);
	tcase_add_test(tc, test_prec_yaml_over_dotenv);
	tcase_add_test(tc, test_shadowed_dotenv);
	tcase_add_test(tc, test_peek_instance);
	tcase_add_test(tc, test_prec_yaml_hides_bad_env);
	tcase_add_test(tc, test_prec_types);
	tcase_add_test(tc, test_instance_id);
	tcase_add_test(tc, test_every_key_process_env);
	tcase_add_test(tc, test_every_key_dotenv);
	tcase_add_test(tc, test_every_key_yaml);
	suite_add_tcase(s, tc);

	tc = tcase_create("output");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_urls);
	tcase_add_test(tc, test_url_override);
	tcase_add_test(tc, test_masking);
	tcase_add_test(tc, test_masking_errors);
	tcase_add_test(tc, test_print_format);
	tcase_add_test(tc, test_warn_small_limit);
	tcase_add_test(tc, test_warn_margin);
	tcase_add_test(tc, test_warn_env_typo);
	tcase_add_test(tc, test_warn_countdown_off_live);
	tcase_add_test(tc, test_assets);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_bad, 0, NBAD);
	tcase_add_test(tc, test_err_small);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(cfg_suite());
}
