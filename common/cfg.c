/*
 * cfg.c — load, validate and print the configuration of a pmm instance.
 *
 * Everything about a key (its YAML path, environment variable, type, field,
 * bounds and default) lives in one table, cfg_keys[], indexed by enum
 * cfg_key. Loading gathers one raw text value per key from the highest
 * source that has it (yaml > environment > .env file > default), then runs
 * every value through the same parser the defaults go through, so a default,
 * an environment variable and a YAML scalar are validated identically.
 *
 * A load never prints: the first problem becomes one message in err that
 * names where the value came from (file:line or the variable), the key and
 * what would have been valid. Secret values are never echoed, not even in
 * error messages.
 */
#include "cfg.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "log.h"
#include "secmem.h"

/* CFG_T_KEY: a secret string, validated in place and never copied here;
 * the field is its length (the value goes to a struct cfg_keys) */
enum cfg_type { CFG_T_STR, CFG_T_INT, CFG_T_DBL, CFG_T_BOOL, CFG_T_ENUM,
	CFG_T_KEY };

#define CFG_F_ENVONLY	0x01	/* .env / environment only, never YAML */
#define CFG_F_SECRET	0x02	/* never printed or echoed */
#define CFG_F_MINEXCL	0x04	/* value must be > min, not >= min */
#define CFG_F_ZERO	0x08	/* 0 is allowed outside [min, max]: "off" */
#define CFG_F_UPPER	0x10	/* string stored upper case */
#define CFG_F_FLOOR	0x20	/* value >= the floor key's value */
#define CFG_F_FLOOREXCL	0x40	/* value >  the floor key's value */

/* Upper bounds at or past this only stop nonsense; messages omit them. */
#define CFG_NOMAX	1e9

struct cfg_enum {
	const char	*name;
	int		 val;
};

/* A string check: 0 if s is acceptable (its length is checked apart). */
typedef int	(*cfg_check_fn)(const char *s);

struct cfg_keydef {
	const char		*name;	/* dotted YAML path, or the env name */
	const char		*env;
	enum cfg_type		 type;
	size_t			 off;
	size_t			 size;
	double			 min, max;	/* value, or string length */
	unsigned		 flags;
	const char		*def;		/* parsed like any input */
	const struct cfg_enum	*enums;		/* NULL-name terminated */
	cfg_check_fn		 check;
	const char		*charset;	/* said when check fails */
	enum cfg_key		 floor;		/* with CFG_F_FLOOR* */
};

#define FLD(m)	.off = offsetof(struct cfg, m), \
		.size = sizeof(((struct cfg *)0)->m)

static int	cfg_check_id(const char *);
static int	cfg_check_symbol(const char *);
static int	cfg_check_print(const char *);
static int	cfg_check_path(const char *);
static int	cfg_check_http(const char *);
static int	cfg_check_ws(const char *);
static int	cfg_check_loopback(const char *);

static const struct cfg_enum cfg_refresh_enums[] = {
	{ "replace", CFG_REFRESH_REPLACE },
	{ "tolerance", CFG_REFRESH_TOLERANCE },
	{ NULL, 0 }
};
static const struct cfg_enum cfg_horizon_enums[] = {
	{ "infinite", CFG_HORIZON_INFINITE },
	{ "finite", CFG_HORIZON_FINITE },
	{ NULL, 0 }
};
static const struct cfg_enum cfg_level_enums[] = {
	{ "error", LOG_LVL_ERROR },
	{ "warn", LOG_LVL_WARN },
	{ "info", LOG_LVL_INFO },
	{ "debug", LOG_LVL_DEBUG },
	{ NULL, 0 }
};
static const struct cfg_enum cfg_env_enums[] = {
	{ "sim", CFG_ENV_SIM },
	{ "testnet", CFG_ENV_TESTNET },
	{ "live", CFG_ENV_LIVE },
	{ NULL, 0 }
};

#define ID_CHARS	"A-Z a-z 0-9 _ -"

/*
 * The key table, in print order. Ids end up in client order ids (36 chars
 * at most on Binance) and file names, hence their short, plain charset.
 * countdown_cancel_ms: Binance's USD-M docs set no minimum (only the options
 * API says 5000), but each renewal costs 10 weight, and renewing a countdown
 * below 5 s often enough to keep it alive would eat the 2400/min budget.
 */
static const struct cfg_keydef cfg_keys[CFG_KEY_COUNT] = {
	[CFG_INSTANCE_ID] = { "instance_id", "PMM_INSTANCE_ID", CFG_T_STR,
	    FLD(instance_id), .min = 1, .max = 20, .def = "",
	    .check = cfg_check_id, .charset = ID_CHARS },
	[CFG_STRATEGY_NAME] = { "strategy_name", "PMM_STRATEGY_NAME",
	    CFG_T_STR, FLD(strategy_name), .min = 1, .max = 20,
	    .def = "simple_mm", .check = cfg_check_id, .charset = ID_CHARS },
	[CFG_SYMBOL] = { "symbol", "PMM_SYMBOL", CFG_T_STR, FLD(symbol),
	    .min = 3, .max = 20, .flags = CFG_F_UPPER, .def = "BTCUSDT",
	    .check = cfg_check_symbol, .charset = "A-Z 0-9" },
	[CFG_LEVERAGE] = { "leverage", "PMM_LEVERAGE", CFG_T_INT,
	    FLD(leverage), .min = 1, .max = 125, .def = "5" },
	[CFG_INITIAL_CAPITAL] = { "initial_capital", "PMM_INITIAL_CAPITAL",
	    CFG_T_DBL, FLD(initial_capital), .min = 0, .max = CFG_NOMAX,
	    .flags = CFG_F_MINEXCL, .def = "5000" },
	[CFG_MAX_NET_POSITION_RATIO] = { "max_net_position_ratio",
	    "PMM_MAX_NET_POSITION_RATIO", CFG_T_DBL,
	    FLD(max_net_position_ratio), .min = 0, .max = 10,
	    .flags = CFG_F_MINEXCL, .def = "0.2" },
	[CFG_ORDER_LEVELS] = { "order_config.levels",
	    "PMM_ORDER_CONFIG_LEVELS", CFG_T_INT, FLD(order.levels),
	    .min = 1, .max = 20, .def = "3" },
	[CFG_ORDER_QTY_USDT] = { "order_config.quantity_per_order_usdt",
	    "PMM_ORDER_CONFIG_QUANTITY_PER_ORDER_USDT", CFG_T_DBL,
	    FLD(order.quantity_per_order_usdt), .min = 0, .max = CFG_NOMAX,
	    .flags = CFG_F_MINEXCL, .def = "150" },
	[CFG_ORDER_PRICE_OFFSET_PCT] = { "order_config.price_offset_percent",
	    "PMM_ORDER_CONFIG_PRICE_OFFSET_PERCENT", CFG_T_DBL,
	    FLD(order.price_offset_percent), .min = 0, .max = 50,
	    .flags = CFG_F_MINEXCL, .def = "0.01" },
	[CFG_ORDER_REFRESH_MODE] = { "order_config.refresh_mode",
	    "PMM_ORDER_CONFIG_REFRESH_MODE", CFG_T_ENUM,
	    FLD(order.refresh_mode), .enums = cfg_refresh_enums,
	    .def = "replace" },
	[CFG_ORDER_REFRESH_TOLERANCE_PCT] = {
	    "order_config.refresh_tolerance_percent",
	    "PMM_ORDER_CONFIG_REFRESH_TOLERANCE_PERCENT", CFG_T_DBL,
	    FLD(order.refresh_tolerance_percent), .min = 0, .max = 50,
	    .flags = CFG_F_MINEXCL, .def = "0.005" },
	[CFG_ORDER_MAX_SPREAD_PCT] = { "order_config.max_spread_percent",
	    "PMM_ORDER_CONFIG_MAX_SPREAD_PERCENT", CFG_T_DBL,
	    FLD(order.max_spread_percent), .min = 0, .max = 100,
	    .flags = CFG_F_MINEXCL, .def = "1" },
	[CFG_ORDER_MAX_MARK_DEV_PCT] = {
	    "order_config.max_mark_deviation_percent",
	    "PMM_ORDER_CONFIG_MAX_MARK_DEVIATION_PERCENT", CFG_T_DBL,
	    FLD(order.max_mark_deviation_percent), .min = 0, .max = 50,
	    .flags = CFG_F_MINEXCL, .def = "5" },
	[CFG_ORDER_MAX_MID_JUMP_PCT] = { "order_config.max_mid_jump_percent",
	    "PMM_ORDER_CONFIG_MAX_MID_JUMP_PERCENT", CFG_T_DBL,
	    FLD(order.max_mid_jump_percent), .min = 0, .max = 100,
	    .flags = CFG_F_MINEXCL, .def = "5" },
	[CFG_ORDER_MID_JUMP_WINDOW] = { "order_config.mid_jump_window",
	    "PMM_ORDER_CONFIG_MID_JUMP_WINDOW", CFG_T_DBL,
	    FLD(order.mid_jump_window), .min = 0.1, .max = 3600,
	    .def = "10" },
	[CFG_REFRESH_ORDERBOOK_INTERVAL] = {
	    "refresh_config.orderbook_refresh_interval",
	    "PMM_REFRESH_CONFIG_ORDERBOOK_REFRESH_INTERVAL", CFG_T_DBL,
	    FLD(refresh.orderbook_refresh_interval), .min = 0.1, .max = 3600,
	    .def = "5" },
	[CFG_REFRESH_RISK_INTERVAL] = { "refresh_config.risk_check_interval",
	    "PMM_REFRESH_CONFIG_RISK_CHECK_INTERVAL", CFG_T_DBL,
	    FLD(refresh.risk_check_interval), .min = 0.1, .max = 3600,
	    .def = "1" },
	[CFG_LOG_TO_CSV] = { "logging.log_to_csv", "PMM_LOGGING_LOG_TO_CSV",
	    CFG_T_BOOL, FLD(logging.log_to_csv), .def = "true" },
	[CFG_LOG_DIRECTORY] = { "logging.log_directory",
	    "PMM_LOGGING_LOG_DIRECTORY", CFG_T_STR, FLD(logging.log_directory),
	    .min = 1, .max = PATH_MAX - 1, .def = "logs",
	    .check = cfg_check_path, .charset = "printable characters" },
	[CFG_LOG_LEVEL] = { "logging.log_level", "PMM_LOGGING_LOG_LEVEL",
	    CFG_T_ENUM, FLD(logging.log_level), .enums = cfg_level_enums,
	    .def = "info" },
	[CFG_LOG_SUMMARY_INTERVAL] = { "logging.summary_interval",
	    "PMM_LOGGING_SUMMARY_INTERVAL", CFG_T_INT,
	    FLD(logging.summary_interval), .min = 0, .max = 86400,
	    .def = "60" },
	[CFG_MARKET_STALE_AFTER] = { "market_stale_after",
	    "PMM_MARKET_STALE_AFTER", CFG_T_DBL, FLD(market.stale_after),
	    .min = 0.5, .max = 3600, .def = "5" },
	[CFG_RISK_MAX_LOSS_USDT] = { "risk.max_loss_usdt",
	    "PMM_RISK_MAX_LOSS_USDT", CFG_T_DBL, FLD(risk.max_loss_usdt),
	    .min = 0, .max = CFG_NOMAX, .def = "250" },
	[CFG_RISK_AUTO_RESUME_AFTER] = { "risk.auto_resume_after",
	    "PMM_RISK_AUTO_RESUME_AFTER", CFG_T_DBL,
	    FLD(risk.auto_resume_after),
	    .min = 0, .max = 86400, .def = "60" },
	[CFG_RISK_ADOPT_POSITION] = { "risk.adopt_position",
	    "PMM_RISK_ADOPT_POSITION", CFG_T_BOOL, FLD(risk.adopt_position),
	    .def = "false" },
	/* signed; |target| within the soft limit: cfg_check_target() */
	[CFG_INV_TARGET_USDT] = { "inventory.target_usdt",
	    "PMM_INVENTORY_TARGET_USDT", CFG_T_DBL, FLD(inventory.target_usdt),
	    .min = -CFG_NOMAX, .max = CFG_NOMAX, .def = "0" },
	[CFG_INV_SOFT_LIMIT_RATIO] = { "inventory.soft_limit_ratio",
	    "PMM_INVENTORY_SOFT_LIMIT_RATIO", CFG_T_DBL,
	    FLD(inventory.soft_limit_ratio), .min = 0.05, .max = 0.95,
	    .def = "0.8" },
	[CFG_SKEW_PRICE_SKEW_PCT] = { "skew_mm.price_skew_percent",
	    "PMM_SKEW_MM_PRICE_SKEW_PERCENT", CFG_T_DBL,
	    FLD(skew.price_skew_percent), .min = 0, .max = 5, .def = "0.02" },
	[CFG_SKEW_SIZE_SKEW] = { "skew_mm.size_skew",
	    "PMM_SKEW_MM_SIZE_SKEW", CFG_T_DBL, FLD(skew.size_skew),
	    .min = 0, .max = 1, .def = "0.5" },
	[CFG_AS_GAMMA] = { "avellaneda_mm.gamma", "PMM_AVELLANEDA_MM_GAMMA",
	    CFG_T_DBL, FLD(avellaneda.gamma), .min = 0, .max = 100,
	    .flags = CFG_F_MINEXCL, .def = "0.3" },
	[CFG_AS_HORIZON] = { "avellaneda_mm.horizon",
	    "PMM_AVELLANEDA_MM_HORIZON", CFG_T_DBL, FLD(avellaneda.horizon),
	    .min = 0.1, .max = 86400, .def = "5" },
	[CFG_AS_HORIZON_MODE] = { "avellaneda_mm.horizon_mode",
	    "PMM_AVELLANEDA_MM_HORIZON_MODE", CFG_T_ENUM,
	    FLD(avellaneda.horizon_mode), .enums = cfg_horizon_enums,
	    .def = "infinite" },
	[CFG_GLFT_GAMMA] = { "glft_mm.gamma", "PMM_GLFT_MM_GAMMA", CFG_T_DBL,
	    FLD(glft.gamma), .min = 0, .max = 100, .flags = CFG_F_MINEXCL,
	    .def = "0.1" },
	[CFG_EST_LIVE] = { "estimator.live", "PMM_ESTIMATOR_LIVE", CFG_T_BOOL,
	    FLD(estimator.live), .def = "true" },
	[CFG_EST_WINDOW] = { "estimator.window", "PMM_ESTIMATOR_WINDOW",
	    CFG_T_DBL, FLD(estimator.window), .min = 10, .max = 3600,
	    .def = "300" },
	/* window / sample_interval returns fit EST_MAX_SAMPLES (3600) */
	[CFG_EST_SAMPLE_INTERVAL] = { "estimator.sample_interval",
	    "PMM_ESTIMATOR_SAMPLE_INTERVAL", CFG_T_DBL,
	    FLD(estimator.sample_interval), .min = 0.1, .max = 60,
	    .def = "1" },
	[CFG_EST_DEPTH_STEP_BP] = { "estimator.depth_step_bp",
	    "PMM_ESTIMATOR_DEPTH_STEP_BP", CFG_T_DBL,
	    FLD(estimator.depth_step_bp), .min = 0.001, .max = 100,
	    .def = "0.25" },
	[CFG_EST_MIN_TRADES] = { "estimator.min_trades",
	    "PMM_ESTIMATOR_MIN_TRADES", CFG_T_INT, FLD(estimator.min_trades),
	    .min = 10, .max = 1000000, .def = "100" },
	[CFG_EST_FALLBACK_SIGMA_BP] = { "estimator.fallback_sigma_bp",
	    "PMM_ESTIMATOR_FALLBACK_SIGMA_BP", CFG_T_DBL,
	    FLD(estimator.fallback_sigma_bp), .min = 0, .max = 1000,
	    .flags = CFG_F_MINEXCL, .def = "2" },
	[CFG_EST_FALLBACK_A] = { "estimator.fallback_a",
	    "PMM_ESTIMATOR_FALLBACK_A", CFG_T_DBL, FLD(estimator.fallback_a),
	    .min = 0, .max = 1000000, .flags = CFG_F_MINEXCL, .def = "20" },
	[CFG_EST_FALLBACK_K] = { "estimator.fallback_k",
	    "PMM_ESTIMATOR_FALLBACK_K", CFG_T_DBL, FLD(estimator.fallback_k),
	    .min = 0, .max = 1000, .flags = CFG_F_MINEXCL, .def = "1" },
	[CFG_EXCH_COUNTDOWN_MS] = { "exchange.countdown_cancel_ms",
	    "PMM_EXCHANGE_COUNTDOWN_CANCEL_MS", CFG_T_INT,
	    FLD(exchange.countdown_cancel_ms), .min = 5000, .max = 600000,
	    .flags = CFG_F_ZERO, .def = "10000" },
	[CFG_EXCH_RECV_WINDOW_MS] = { "exchange.recv_window_ms",
	    "PMM_EXCHANGE_RECV_WINDOW_MS", CFG_T_INT,
	    FLD(exchange.recv_window_ms), .min = 1, .max = 60000,
	    .def = "5000" },
	[CFG_SUP_MAX_DEATHS] = { "supervisor.max_deaths",
	    "PMM_SUPERVISOR_MAX_DEATHS", CFG_T_INT, FLD(supervisor.max_deaths),
	    .min = 1, .max = 1000, .def = "5" },
	[CFG_SUP_DEATH_WINDOW] = { "supervisor.death_window",
	    "PMM_SUPERVISOR_DEATH_WINDOW", CFG_T_DBL,
	    FLD(supervisor.death_window), .min = 1, .max = 86400, .def = "60" },
	[CFG_SUP_BACKOFF_INITIAL] = { "supervisor.backoff_initial",
	    "PMM_SUPERVISOR_BACKOFF_INITIAL", CFG_T_DBL,
	    FLD(supervisor.backoff_initial), .min = 0.01, .max = 60,
	    .def = "0.5" },
	[CFG_SUP_BACKOFF_MAX] = { "supervisor.backoff_max",
	    "PMM_SUPERVISOR_BACKOFF_MAX", CFG_T_DBL,
	    FLD(supervisor.backoff_max), .min = 0.01, .max = 3600,
	    .flags = CFG_F_FLOOR, .floor = CFG_SUP_BACKOFF_INITIAL,
	    .def = "30" },
	[CFG_SUP_HEARTBEAT_INTERVAL] = { "supervisor.heartbeat_interval",
	    "PMM_SUPERVISOR_HEARTBEAT_INTERVAL", CFG_T_DBL,
	    FLD(supervisor.heartbeat_interval), .min = 0.05, .max = 60,
	    .def = "0.5" },
	[CFG_SUP_HEARTBEAT_TIMEOUT] = { "supervisor.heartbeat_timeout",
	    "PMM_SUPERVISOR_HEARTBEAT_TIMEOUT", CFG_T_DBL,
	    FLD(supervisor.heartbeat_timeout), .min = 0.05, .max = 600,
	    .flags = CFG_F_MINEXCL | CFG_F_FLOOREXCL,
	    .floor = CFG_SUP_HEARTBEAT_INTERVAL, .def = "3" },
	[CFG_SUP_READY_TIMEOUT] = { "supervisor.ready_timeout",
	    "PMM_SUPERVISOR_READY_TIMEOUT", CFG_T_DBL,
	    FLD(supervisor.ready_timeout), .min = 0.5, .max = 600,
	    .def = "10" },
	[CFG_SUP_STOP_TIMEOUT] = { "supervisor.stop_timeout",
	    "PMM_SUPERVISOR_STOP_TIMEOUT", CFG_T_DBL,
	    FLD(supervisor.stop_timeout), .min = 0.1, .max = 600, .def = "5" },
	/* off by default: a listening socket is something to ask for */
	[CFG_METRICS_ENABLED] = { "metrics.enabled", "PMM_METRICS_ENABLED",
	    CFG_T_BOOL, FLD(metrics.enabled), .def = "false" },
	[CFG_METRICS_ADDRESS] = { "metrics.listen_address",
	    "PMM_METRICS_LISTEN_ADDRESS", CFG_T_STR,
	    FLD(metrics.listen_address), .min = 3, .max = 63,
	    .def = "127.0.0.1", .check = cfg_check_loopback,
	    .charset = "a loopback address (127.0.0.0/8 or ::1)" },
	[CFG_METRICS_PORT] = { "metrics.port", "PMM_METRICS_PORT", CFG_T_INT,
	    FLD(metrics.port), .min = 0, .max = 65535, .def = "9464" },
	[CFG_API_KEY] = { "BINANCE_API_KEY", "BINANCE_API_KEY", CFG_T_KEY,
	    FLD(api_key_len), .min = 0, .max = CFG_KEY_MAX - 1,
	    .flags = CFG_F_ENVONLY | CFG_F_SECRET, .def = "",
	    .check = cfg_check_print, .charset = "printable non-space ASCII" },
	[CFG_SECRET_KEY] = { "BINANCE_SECRET_KEY", "BINANCE_SECRET_KEY",
	    CFG_T_KEY, FLD(secret_key_len), .min = 0, .max = CFG_KEY_MAX - 1,
	    .flags = CFG_F_ENVONLY | CFG_F_SECRET, .def = "",
	    .check = cfg_check_print, .charset = "printable non-space ASCII" },
	[CFG_EXCHANGE_ENV] = { "EXCHANGE_ENV", "EXCHANGE_ENV", CFG_T_ENUM,
	    FLD(exchange_env), .flags = CFG_F_ENVONLY, .enums = cfg_env_enums,
	    .def = "sim" },
	[CFG_LISTEN_KEY_REFRESH] = { "LISTEN_KEY_REFRESH_INTERVAL",
	    "LISTEN_KEY_REFRESH_INTERVAL", CFG_T_INT,
	    FLD(listen_key_refresh_interval), .min = 60, .max = 3540,
	    .flags = CFG_F_ENVONLY, .def = "1800" },
	[CFG_REST_URL] = { "BINANCE_REST_URL", "BINANCE_REST_URL", CFG_T_STR,
	    FLD(rest_url), .min = 8, .max = 255, .flags = CFG_F_ENVONLY,
	    .def = "", .check = cfg_check_http,
	    .charset = "an http:// or https:// URL" },
	[CFG_WS_URL] = { "BINANCE_WS_URL", "BINANCE_WS_URL", CFG_T_STR,
	    FLD(ws_url), .min = 6, .max = 255, .flags = CFG_F_ENVONLY,
	    .def = "", .check = cfg_check_ws,
	    .charset = "a ws:// or wss:// URL" },
};

/* Base URLs per EXCHANGE_ENV, indexed by enum cfg_env. */
static const struct {
	const char	*rest, *ws;
} cfg_urls[] = {
	[CFG_ENV_SIM] = { "http://127.0.0.1:18080", "ws://127.0.0.1:18080" },
	[CFG_ENV_TESTNET] = { "https://demo-fapi.binance.com",
	    "wss://fstream.binancefuture.com" },
	[CFG_ENV_LIVE] = { "https://fapi.binance.com",
	    "wss://fstream.binance.com" },
};

/* Where a raw value came from, to name it in an error. */
struct cfg_raw {
	char		*val;		/* NULL: default */
	enum cfg_src	 src;
	int		 line;		/* YAML or .env line; 0: process env */
};

struct cfg_dotenv {
	char		*key;
	char		*val;
	int		 line;
};

/* Everything one cfg_load() call works with. */
struct cfg_loader {
	struct cfg		*c;
	const char		*yaml_path;
	const char		*env_path;
	char			*err;
	size_t			 errlen;
	struct cfg_raw		 raw[CFG_KEY_COUNT];
	struct cfg_dotenv	*dotenv;
	size_t			 ndotenv;
	struct cfg_keys		*keys;		/* may be NULL */
	unsigned		 flags;		/* CFG_LOAD_* */
};

/* ---------------------------------------------------------------- */
/* Small helpers                                                      */

static void
cfg_errf(struct cfg_loader *ld, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
cfg_errf(struct cfg_loader *ld, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(ld->err, ld->errlen, fmt, ap);
	va_end(ap);
}

static void
cfg_warn(struct cfg *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Warnings accumulate one per line; a full buffer drops the newest. */
static void
cfg_warn(struct cfg *c, const char *fmt, ...)
{
	size_t	used = strlen(c->warnings);
	va_list	ap;

	if (used + 2 >= sizeof(c->warnings))
		return;
	va_start(ap, fmt);
	vsnprintf(c->warnings + used, sizeof(c->warnings) - used - 1, fmt, ap);
	va_end(ap);
	strcat(c->warnings, "\n");
}

/* A value made safe to quote in a message: printable and short. */
static void
cfg_quote(char *dst, size_t len, const char *s)
{
	size_t	i, n = strlen(s), max = len - 5;

	for (i = 0; i < n && i < max; i++)
		dst[i] = isprint((unsigned char)s[i]) ? s[i] : '?';
	if (n > max)
		memcpy(dst + i, "...", 3), i += 3;
	dst[i] = '\0';
}

static void
cfg_rtrim(char *s)
{
	char	*end = s + strlen(s);

	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
}

static int
cfg_str_all(const char *s, int (*ok)(int))
{
	for (; *s != '\0'; s++)
		if (!ok((unsigned char)*s))
			return -1;
	return 0;
}

static int
cfg_idchar(int ch)
{
	return isalnum(ch) || ch == '_' || ch == '-';
}

static int
cfg_symchar(int ch)
{
	return isupper(ch) || isdigit(ch);
}

static int
cfg_graph(int ch)
{
	return isgraph(ch);
}

static int
cfg_printable(int ch)
{
	return isprint(ch);
}

static int
cfg_check_id(const char *s)
{
	return cfg_str_all(s, cfg_idchar);
}

static int
cfg_check_symbol(const char *s)
{
	return cfg_str_all(s, cfg_symchar);
}

static int
cfg_check_print(const char *s)
{
	return cfg_str_all(s, cfg_graph);
}

static int
cfg_check_path(const char *s)
{
	return cfg_str_all(s, cfg_printable);
}

static int
cfg_check_http(const char *s)
{
	if (strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0)
		return -1;
	return cfg_str_all(s, cfg_graph);
}

/*
 * The metrics endpoint answers anyone who can connect and says what the
 * account holds: only this host may reach it (put a proxy in front to
 * publish it further, deliberately).
 */
static int
cfg_check_loopback(const char *s)
{
	struct in6_addr	a6;
	struct in_addr	a4;

	if (inet_pton(AF_INET, s, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127 ? 0 : -1;
	if (inet_pton(AF_INET6, s, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6) ? 0 : -1;
	return -1;
}

static int
cfg_check_ws(const char *s)
{
	if (strncmp(s, "ws://", 5) != 0 && strncmp(s, "wss://", 6) != 0)
		return -1;
	return cfg_str_all(s, cfg_graph);
}

/* Levenshtein distance, for "did you mean". Names are short. */
static size_t
cfg_distance(const char *a, const char *b)
{
	size_t	la = strlen(a), lb = strlen(b), i, j, prev, cur, tmp;
	size_t	row[128];

	if (lb >= sizeof(row) / sizeof(row[0]))
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			cur = prev + (tolower((unsigned char)a[i - 1]) !=
			    tolower((unsigned char)b[j - 1]));
			if (row[j] + 1 < cur)
				cur = row[j] + 1;
			if (row[j - 1] + 1 < cur)
				cur = row[j - 1] + 1;
			tmp = row[j];
			row[j] = cur;
			prev = tmp;
		}
	}
	return row[lb];
}

/* Close enough to be a typo rather than another word. */
int
cfg_near(const char *typed, const char *known, size_t *best)
{
	size_t	d = cfg_distance(typed, known);
	size_t	limit = strlen(known) / 3 > 2 ? strlen(known) / 3 : 2;

	if (d > limit || d >= *best)
		return 0;
	*best = d;
	return 1;
}

/* ---------------------------------------------------------------- */
/* Parsing one value into its field                                  */

static void *
cfg_field(struct cfg *c, enum cfg_key k)
{
	return (char *)c + cfg_keys[k].off;
}

static double
cfg_num(const struct cfg *c, enum cfg_key k)
{
	const void	*p = (const char *)c + cfg_keys[k].off;

	if (cfg_keys[k].type == CFG_T_INT)
		return *(const int *)p;
	return *(const double *)p;
}

/* "1..20", "> 0 and <= 50", "0 or 5000..600000": what a number may be. */
static void
cfg_range(const struct cfg_keydef *kd, char *buf, size_t len)
{
	const char	*zero = (kd->flags & CFG_F_ZERO) ? "0 or " : "";
	const char	*op = (kd->flags & CFG_F_MINEXCL) ? ">" : ">=";

	if (kd->max >= CFG_NOMAX)	/* no useful upper bound to state */
		snprintf(buf, len, "%s%s %.10g", zero, op, kd->min);
	else if (kd->flags & CFG_F_MINEXCL)
		snprintf(buf, len, "%s> %.10g and <= %.10g", zero, kd->min,
		    kd->max);
	else
		snprintf(buf, len, "%s%.10g..%.10g", zero, kd->min, kd->max);
}

/* What key kd accepts, for the "(valid: ...)" part of a message. */
static void
cfg_valid(const struct cfg_keydef *kd, char *buf, size_t len)
{
	const struct cfg_enum	*e;
	size_t			 n = 0;

	switch (kd->type) {
	case CFG_T_INT:
	case CFG_T_DBL:
		cfg_range(kd, buf, len);
		break;
	case CFG_T_BOOL:
		snprintf(buf, len, "true or false");
		break;
	case CFG_T_ENUM:
		buf[0] = '\0';
		for (e = kd->enums; e->name != NULL && n < len; e++)
			n += snprintf(buf + n, len - n, "%s%s",
			    e == kd->enums ? "" : ", ", e->name);
		break;
	case CFG_T_STR:
	case CFG_T_KEY:
		snprintf(buf, len, "%.0f..%.0f characters, %s", kd->min,
		    kd->max, kd->charset);
		break;
	}
}

static int
cfg_in_range(const struct cfg_keydef *kd, double v)
{
	if ((kd->flags & CFG_F_ZERO) && v == 0)
		return 1;
	if (v < kd->min || v > kd->max)
		return 0;
	return !((kd->flags & CFG_F_MINEXCL) && v <= kd->min);
}

static int
cfg_parse_number(const struct cfg_keydef *kd, const char *s, double *out,
    char *why, size_t len)
{
	char	 range[96], q[48], *end;
	double	 v;

	cfg_valid(kd, range, sizeof(range));
	cfg_quote(q, sizeof(q), s);
	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || errno == ERANGE || !isfinite(v)) {
		snprintf(why, len, "expected a number, got \"%s\" (valid: %s)",
		    q, range);
		return -1;
	}
	if (kd->type == CFG_T_INT && v != floor(v)) {
		snprintf(why, len, "expected a whole number, got \"%s\" "
		    "(valid: %s)", q, range);
		return -1;
	}
	if (!cfg_in_range(kd, v)) {
		snprintf(why, len, "%s is out of range (valid: %s)", q, range);
		return -1;
	}
	*out = v;
	return 0;
}

static int
cfg_parse_bool(const char *s, bool *out, char *why, size_t len)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	char	 q[48];
	size_t	 i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return *out = true, 0;
		if (strcasecmp(s, no[i]) == 0)
			return *out = false, 0;
	}
	cfg_quote(q, sizeof(q), s);
	snprintf(why, len, "expected true or false, got \"%s\"", q);
	return -1;
}

static int
cfg_parse_enum(const struct cfg_keydef *kd, const char *s, int *out,
    char *why, size_t len)
{
	const struct cfg_enum	*e;
	char			 q[48], valid[128];

	for (e = kd->enums; e->name != NULL; e++)
		if (strcasecmp(s, e->name) == 0)
			return *out = e->val, 0;
	cfg_quote(q, sizeof(q), s);
	cfg_valid(kd, valid, sizeof(valid));
	snprintf(why, len, "\"%s\" is not valid (valid: %s)", q, valid);
	return -1;
}

static int
cfg_parse_str(const struct cfg_keydef *kd, const char *s, char *dst,
    char *why, size_t len)
{
	size_t	 n = strlen(s), i;
	char	 q[48], valid[128];

	cfg_valid(kd, valid, sizeof(valid));
	if (kd->flags & CFG_F_SECRET)
		snprintf(q, sizeof(q), "a value of %zu characters", n);
	else {
		q[0] = '"';
		cfg_quote(q + 1, sizeof(q) - 2, s);
		strcat(q, "\"");
	}
	if (n == 0 && kd->min > 0) {
		snprintf(why, len, "must not be empty (valid: %s)", valid);
		return -1;
	}
	if (n > kd->max)
		goto bad;
	/* Upper-case first: "btcusdt" is a fine way to write BTCUSDT. */
	for (i = 0; i <= n; i++)
		dst[i] = (kd->flags & CFG_F_UPPER) ?
		    toupper((unsigned char)s[i]) : s[i];
	if (n == 0 || (n >= kd->min && kd->check(dst) == 0))
		return 0;
bad:
	snprintf(why, len, "%s is not valid (valid: %s)", q, valid);
	return -1;
}

/*
 * A secret is checked where it lies: a copy (even on the stack) would
 * outlive this call in memory a core dump holds.
 */
static int
cfg_parse_key(const struct cfg_keydef *kd, const char *s, char *why,
    size_t len)
{
	size_t	n = strlen(s);
	char	valid[128];

	if (n == 0 || (n <= kd->max && kd->check(s) == 0))
		return 0;
	cfg_valid(kd, valid, sizeof(valid));
	snprintf(why, len, "a value of %zu characters is not valid (valid: "
	    "%s)", n, valid);
	return -1;
}

/*
 * Parse s as key k into c. On error, why gets the part of the message that
 * follows "<where>: <key>: ".
 */
static int
cfg_set(struct cfg *c, enum cfg_key k, const char *s, char *why, size_t len)
{
	const struct cfg_keydef	*kd = &cfg_keys[k];
	void			*p = cfg_field(c, k);
	double			 v;
	char			 tmp[PATH_MAX];

	switch (kd->type) {
	case CFG_T_INT:
	case CFG_T_DBL:
		if (cfg_parse_number(kd, s, &v, why, len) == -1)
			return -1;
		if (kd->type == CFG_T_INT)
			*(int *)p = (int)v;
		else
			*(double *)p = v;
		return 0;
	case CFG_T_BOOL:
		return cfg_parse_bool(s, p, why, len);
	case CFG_T_ENUM:
		return cfg_parse_enum(kd, s, p, why, len);
	case CFG_T_KEY:
		if (cfg_parse_key(kd, s, why, len) == -1)
			return -1;
		*(size_t *)p = strlen(s);
		return 0;
	case CFG_T_STR:
		/* Via tmp, so a refused value leaves the field alone. */
		if (cfg_parse_str(kd, s, tmp, why, len) == -1)
			return -1;
		snprintf(p, kd->size, "%s", tmp);
		return 0;
	}
	return -1;
}

/* ---------------------------------------------------------------- */
/* Public helpers                                                     */

const char *
cfg_key_name(enum cfg_key k)
{
	if ((int)k < 0 || k >= CFG_KEY_COUNT)
		return "?";
	return cfg_keys[k].name;
}

const char *
cfg_src_name(enum cfg_src s)
{
	switch (s) {
	case CFG_SRC_DEFAULT:	return "default";
	case CFG_SRC_ENV:	return "env";
	case CFG_SRC_YAML:	return "yaml";
	case CFG_SRC_SET:	return "--set";
	}
	return "?";
}

const char *
cfg_env_name(enum cfg_env e)
{
	if ((int)e < 0 || e > CFG_ENV_LIVE)
		return "?";
	return cfg_env_enums[e].name;
}

static void
cfg_resolve_urls(struct cfg *c)
{
	if (c->src[CFG_REST_URL] == CFG_SRC_DEFAULT)
		snprintf(c->rest_url, sizeof(c->rest_url), "%s",
		    cfg_urls[c->exchange_env].rest);
	if (c->src[CFG_WS_URL] == CFG_SRC_DEFAULT)
		snprintf(c->ws_url, sizeof(c->ws_url), "%s",
		    cfg_urls[c->exchange_env].ws);
}

static void
cfg_resolve_instance(struct cfg *c)
{
	if (c->src[CFG_INSTANCE_ID] == CFG_SRC_DEFAULT)
		snprintf(c->instance_id, sizeof(c->instance_id), "%s",
		    c->strategy_name);
}

void
cfg_defaults(struct cfg *c)
{
	char	why[CFG_ERRLEN];
	int	k;

	memset(c, 0, sizeof(*c));
	for (k = 0; k < CFG_KEY_COUNT; k++) {
		c->src[k] = CFG_SRC_DEFAULT;
		/* Empty defaults mean "derived" or "not set". */
		if (cfg_keys[k].def[0] == '\0')
			continue;
		if (cfg_set(c, k, cfg_keys[k].def, why, sizeof(why)) == -1)
			log_warnx("%s: bad default for %s: %s", __func__,
			    cfg_keys[k].name, why);
	}
	cfg_resolve_instance(c);
	cfg_resolve_urls(c);
}

/* ---------------------------------------------------------------- */
/* The .env file                                                      */

static int
cfg_known_env(const char *name)
{
	int	k;

	for (k = 0; k < CFG_KEY_COUNT; k++)
		if (strcmp(cfg_keys[k].env, name) == 0)
			return k;
	return -1;
}

static const char *
cfg_suggest_env(const char *name)
{
	const char	*hit = NULL;
	size_t		 best = SIZE_MAX;
	int		 k;

	for (k = 0; k < CFG_KEY_COUNT; k++)
		if (cfg_near(name, cfg_keys[k].env, &best))
			hit = cfg_keys[k].env;
	return hit;
}

/* 0 or 1 for the index into struct cfg_keys's env[], else -1. */
static int
cfg_key_slot(enum cfg_key k)
{
	return k == CFG_API_KEY ? 0 : k == CFG_SECRET_KEY ? 1 : -1;
}

static int
cfg_is_key_env(const char *name)
{
	int	k = cfg_known_env(name);

	return k != -1 && cfg_key_slot(k) != -1;
}

static int
cfg_dotenv_add(struct cfg_loader *ld, const char *key, const char *val,
    int line)
{
	struct cfg_dotenv	*d;

	d = reallocarray(ld->dotenv, ld->ndotenv + 1, sizeof(*d));
	if (d == NULL) {
		cfg_errf(ld, "%s: out of memory", ld->env_path);
		return -1;
	}
	ld->dotenv = d;
	d += ld->ndotenv;
	d->key = strdup(key);
	d->val = strdup(val);
	d->line = line;
	if (d->key == NULL || d->val == NULL) {
		free(d->key);
		free(d->val);
		cfg_errf(ld, "%s: out of memory", ld->env_path);
		return -1;
	}
	ld->ndotenv++;
	return 0;
}

/*
 * The value part of a .env line, in place: quotes removed, or for an
 * unquoted value a trailing " # comment" and blanks cut.
 */
static int
cfg_dotenv_value(struct cfg_loader *ld, char *v, const char *key, int line)
{
	char	 q = v[0], *end, *hash;

	if (q == '"' || q == '\'') {
		end = strchr(v + 1, q);
		if (end == NULL) {
			cfg_errf(ld, "%s:%d: %s: missing closing %c quote",
			    ld->env_path, line, key, q);
			return -1;
		}
		*end++ = '\0';
		end += strspn(end, " \t\r");
		if (*end != '\0' && *end != '#') {
			cfg_errf(ld, "%s:%d: %s: unexpected text after the "
			    "closing %c quote", ld->env_path, line, key, q);
			return -1;
		}
		memmove(v, v + 1, strlen(v + 1) + 1);
		return 0;
	}
	for (hash = v; (hash = strchr(hash, '#')) != NULL; hash++)
		if (hash == v || hash[-1] == ' ' || hash[-1] == '\t') {
			*hash = '\0';
			break;
		}
	cfg_rtrim(v);
	return 0;
}

/* One line: blank, # comment, or [export ]KEY=VALUE. */
static int
cfg_dotenv_line(struct cfg_loader *ld, char *s, int line)
{
	const char	*hint;
	char		*key, *eq;

	s += strspn(s, " \t\r\n");
	s[strcspn(s, "\r\n")] = '\0';
	if (*s == '\0' || *s == '#')
		return 0;
	if (strncmp(s, "export", 6) == 0 && (s[6] == ' ' || s[6] == '\t'))
		s += 6 + strspn(s + 6, " \t");
	key = s;
	if (!isalpha((unsigned char)*s) && *s != '_')
		goto bad;
	s += strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_");
	eq = s + strspn(s, " \t");
	if (*eq != '=')
		goto bad;
	*s = '\0';
	s = eq + 1 + strspn(eq + 1, " \t");
	if (cfg_dotenv_value(ld, s, key, line) == -1)
		return -1;
	if (strncmp(key, "PMM_", 4) == 0 && cfg_known_env(key) == -1) {
		hint = cfg_suggest_env(key);
		cfg_errf(ld, "%s:%d: unknown key %s%s%s%s", ld->env_path, line,
		    key, hint ? " (did you mean " : " (not a pmm setting)",
		    hint ? hint : "", hint ? "?)" : "");
		return -1;
	}
	/* a process that does not sign keeps no copy, not even for a while */
	if ((ld->flags & CFG_LOAD_NOKEYS) && cfg_is_key_env(key))
		return 0;
	return cfg_dotenv_add(ld, key, s, line);
bad:
	/* Never echo the line: it may hold a secret. */
	cfg_errf(ld, "%s:%d: expected KEY=VALUE (a name of letters, digits "
	    "and _, then =, then the value)", ld->env_path, line);
	return -1;
}

/*
 * The whole file in one buffer excluded from core dumps, read with read(2):
 * stdio's buffer and getline's growing one would leave copies of the
 * secret in freed heap memory, which a core dump does hold.
 */
#define CFG_DOTENV_MAX	(64 * 1024)

static int
cfg_dotenv_lines(struct cfg_loader *ld, char *buf)
{
	char	*s, *nl;
	int	 line = 0;

	for (s = buf; *s != '\0'; s = nl + 1) {
		if ((nl = strchr(s, '\n')) != NULL)
			*nl = '\0';
		if (cfg_dotenv_line(ld, s, ++line) == -1)
			return -1;
		if (nl == NULL)
			break;
	}
	return 0;
}

static int
cfg_dotenv_read(struct cfg_loader *ld)
{
	struct stat	 st;
	char		*buf = NULL;
	size_t		 got = 0;
	ssize_t		 n;
	int		 fd, rc = -1;

	if ((fd = open(ld->env_path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 0;	/* the process environment alone */
		cfg_errf(ld, "%s: cannot open: %s", ld->env_path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		cfg_errf(ld, "%s: not a regular file", ld->env_path);
		goto out;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		cfg_errf(ld, "%s: mode %04o lets others read the secrets; "
		    "run chmod 600 %s", ld->env_path,
		    (unsigned)(st.st_mode & 07777), ld->env_path);
		goto out;
	}
	if (st.st_size > CFG_DOTENV_MAX) {
		cfg_errf(ld, "%s: %lld bytes, more than the %d an environment "
		    "file may have", ld->env_path, (long long)st.st_size,
		    CFG_DOTENV_MAX);
		goto out;
	}
	if ((buf = secmem_alloc(CFG_DOTENV_MAX + 1)) == NULL) {
		cfg_errf(ld, "%s: out of memory", ld->env_path);
		goto out;
	}
	while (got < CFG_DOTENV_MAX && (n = read(fd, buf + got,
	    CFG_DOTENV_MAX - got)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			cfg_errf(ld, "%s: read error: %s", ld->env_path,
			    strerror(errno));
			goto out;
		}
		got += (size_t)n;
	}
	buf[got] = '\0';
	rc = cfg_dotenv_lines(ld, buf);
out:
	secmem_free(buf, CFG_DOTENV_MAX + 1);
	close(fd);
	return rc;
}

/*
 * A key's value in the process environment: for the API keys, where
 * cfg_keys_take_env() put them when the caller has a struct cfg_keys.
 */
static const char *
cfg_getenv(struct cfg_loader *ld, enum cfg_key k)
{
	const char	*e;
	int		 slot = cfg_key_slot(k);
	size_t		 n = strlen(cfg_keys[k].env);

	if (slot == -1 || ld->keys == NULL)
		return getenv(cfg_keys[k].env);
	e = ld->keys->env[slot];
	if (strncmp(e, cfg_keys[k].env, n) == 0 && e[n] == '=')
		return e + n + 1;
	return getenv(cfg_keys[k].env);
}

/* The process environment over the .env file, for every key. */
static int
cfg_gather_env(struct cfg_loader *ld)
{
	struct cfg_dotenv	*d;
	const char		*v;
	size_t			 i;
	int			 k, line;

	for (k = 0; k < CFG_KEY_COUNT; k++) {
		line = 0;
		if (cfg_key_slot(k) != -1 && (ld->flags & CFG_LOAD_NOKEYS))
			continue;
		v = cfg_getenv(ld, k);
		/* The last assignment in the file wins, as in a shell. */
		for (i = ld->ndotenv; v == NULL && i > 0; i--) {
			d = &ld->dotenv[i - 1];
			if (strcmp(d->key, cfg_keys[k].env) == 0)
				v = d->val, line = d->line;
		}
		if (v != NULL)
			v += strspn(v, " \t\r\n");
		if (v == NULL || *v == '\0')	/* KEY= is unset, as in sh */
			continue;
		if ((ld->raw[k].val = strdup(v)) == NULL) {
			cfg_errf(ld, "out of memory");
			return -1;
		}
		cfg_rtrim(ld->raw[k].val);
		ld->raw[k].src = CFG_SRC_ENV;
		ld->raw[k].line = line;
	}
	return 0;
}

/* A mistyped PMM_ variable in the process environment is worth a word. */
static void
cfg_warn_env_typos(struct cfg *c)
{
	extern char	**environ;
	char		  name[128], **e;
	const char	 *hint;
	size_t		  n;

	for (e = environ; *e != NULL; e++) {
		if (strncmp(*e, "PMM_", 4) != 0)
			continue;
		n = strcspn(*e, "=");
		if (n >= sizeof(name))
			continue;
		memcpy(name, *e, n);
		name[n] = '\0';
		if (cfg_known_env(name) == -1 &&
		    (hint = cfg_suggest_env(name)) != NULL)
			cfg_warn(c, "environment %s is not a pmm setting "
			    "(did you mean %s?)", name, hint);
	}
}

/* ---------------------------------------------------------------- */
/* The YAML file                                                      */

static const char *
cfg_node_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE:		return "a mapping";
	case YAML_SEQUENCE_NODE:	return "a list";
	default:			return "a value";
	}
}

/* An empty plain scalar, "~" or "null": YAML's "nothing here". */
static int
cfg_node_null(const yaml_node_t *n)
{
	const char	*s = (const char *)n->data.scalar.value;

	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	return *s == '\0' || strcmp(s, "~") == 0 || strcasecmp(s, "null") == 0;
}

static int
cfg_line(const yaml_node_t *n)
{
	return (int)n->start_mark.line + 1;
}

/* The YAML key whose dotted name is path, or -1. */
static int
cfg_yaml_key(const char *path)
{
	int	k;

	for (k = 0; k < CFG_KEY_COUNT; k++)
		if (!(cfg_keys[k].flags & CFG_F_ENVONLY) &&
		    strcmp(cfg_keys[k].name, path) == 0)
			return k;
	return -1;
}

/* Whether path names a section such as "order_config". */
static int
cfg_yaml_section(const char *path)
{
	size_t	n = strlen(path);
	int	k;

	for (k = 0; k < CFG_KEY_COUNT; k++)
		if (!(cfg_keys[k].flags & CFG_F_ENVONLY) &&
		    strncmp(cfg_keys[k].name, path, n) == 0 &&
		    cfg_keys[k].name[n] == '.')
			return 1;
	return 0;
}

/*
 * The names allowed directly inside section (top level: ""), either the
 * nearest to typed (into hint) or all of them (into list).
 */
static void
cfg_children(const char *section, const char *typed, char *hint,
    size_t hlen, char *list, size_t llen)
{
	const char	*name, *dot;
	char		 child[64], last[64] = "";
	size_t		 n = strlen(section), best = SIZE_MAX, used = 0;
	int		 k;

	hint[0] = list[0] = '\0';
	for (k = 0; k < CFG_KEY_COUNT; k++) {
		name = cfg_keys[k].name;
		if ((cfg_keys[k].flags & CFG_F_ENVONLY) ||
		    (n > 0 && (strncmp(name, section, n) != 0 ||
		    name[n] != '.')))
			continue;
		name += n > 0 ? n + 1 : 0;
		dot = strchr(name, '.');
		snprintf(child, sizeof(child), "%.*s",
		    (int)(dot ? (size_t)(dot - name) : strlen(name)), name);
		/* A section's keys are adjacent in the table: name it once. */
		if (strcmp(child, last) == 0)
			continue;
		memcpy(last, child, sizeof(last));
		if (cfg_near(typed, child, &best))
			snprintf(hint, hlen, "%s", child);
		if (used < llen)
			used += snprintf(list + used, llen - used, "%s%s",
			    used ? ", " : "", child);
	}
}

/* Secrets and .env-only settings have no place in the YAML file. */
static int
cfg_yaml_misplaced(struct cfg_loader *ld, const char *key, int line)
{
	char	lower[64];
	size_t	i;
	int	k;

	for (i = 0; key[i] != '\0' && i < sizeof(lower) - 1; i++)
		lower[i] = tolower((unsigned char)key[i]);
	lower[i] = '\0';
	if (strstr(lower, "secret") || strstr(lower, "api_key") ||
	    strstr(lower, "apikey") || strstr(lower, "password")) {
		cfg_errf(ld, "%s:%d: %s: secrets belong in .env "
		    "(BINANCE_API_KEY, BINANCE_SECRET_KEY, chmod 600), not in "
		    "the YAML file", ld->yaml_path, line, key);
		return -1;
	}
	for (k = 0; k < CFG_KEY_COUNT; k++)
		if ((cfg_keys[k].flags & CFG_F_ENVONLY) &&
		    strcasecmp(cfg_keys[k].env, key) == 0) {
			cfg_errf(ld, "%s:%d: %s: %s is read from .env or the "
			    "environment only", ld->yaml_path, line, key,
			    cfg_keys[k].env);
			return -1;
		}
	return 0;
}

/* "levels" at the top level: name the section it belongs in. */
static const char *
cfg_yaml_home(const char *key)
{
	const char	*dot;
	int		 k;

	for (k = 0; k < CFG_KEY_COUNT; k++)
		if (!(cfg_keys[k].flags & CFG_F_ENVONLY) &&
		    (dot = strrchr(cfg_keys[k].name, '.')) != NULL &&
		    strcasecmp(dot + 1, key) == 0)
			return cfg_keys[k].name;
	return NULL;
}

static int
cfg_yaml_unknown(struct cfg_loader *ld, const char *section,
    const char *typed, int line)
{
	const char	*in = *section ? "in " : "at the top level";
	const char	*home;
	char		 hint[64], list[512], key[64];

	cfg_quote(key, sizeof(key), typed);
	if (cfg_yaml_misplaced(ld, key, line) == -1)
		return -1;
	cfg_children(section, typed, hint, sizeof(hint), list, sizeof(list));
	if (strchr(typed, '.') != NULL)
		cfg_errf(ld, "%s:%d: unknown key \"%s\" %s%s (write nested "
		    "keys as a mapping: the section name, a colon, then the "
		    "key indented on the next line)", ld->yaml_path, line, key,
		    in, section);
	else if (hint[0] != '\0')
		cfg_errf(ld, "%s:%d: unknown key \"%s\" %s%s (did you mean "
		    "\"%s\"?)", ld->yaml_path, line, key, in, section, hint);
	else if ((home = cfg_yaml_home(typed)) != NULL)
		cfg_errf(ld, "%s:%d: unknown key \"%s\" %s%s (did you mean "
		    "%s? it goes in that section)", ld->yaml_path, line, key,
		    in, section, home);
	else
		cfg_errf(ld, "%s:%d: unknown key \"%s\" %s%s (valid: %s)",
		    ld->yaml_path, line, key, in, section, list);
	return -1;
}

/* A second "levels:" in one mapping would silently win: refuse it. */
static int
cfg_yaml_dup(struct cfg_loader *ld, yaml_document_t *doc,
    yaml_node_pair_t *first, yaml_node_pair_t *pair, const char *section)
{
	yaml_node_t		*k = yaml_document_get_node(doc, pair->key), *o;
	yaml_node_pair_t	*p;
	char			 name[64];

	for (p = first; p < pair; p++) {
		o = yaml_document_get_node(doc, p->key);
		if (o->type == YAML_SCALAR_NODE &&
		    strcmp((char *)o->data.scalar.value,
		    (char *)k->data.scalar.value) == 0) {
			cfg_quote(name, sizeof(name),
			    (char *)k->data.scalar.value);
			cfg_errf(ld, "%s:%d: duplicate key \"%s\" %s%s "
			    "(first at line %d)", ld->yaml_path, cfg_line(k),
			    name,
			    *section ? "in " : "at the top level", section,
			    cfg_line(o));
			return -1;
		}
	}
	return 0;
}

static int	cfg_yaml_mapping(struct cfg_loader *, yaml_document_t *,
		    yaml_node_t *, const char *);

/* An environment value the YAML file overrides, named for `pmmd -n`. */
static void
cfg_warn_shadowed(struct cfg_loader *ld, enum cfg_key k, int line)
{
	const struct cfg_raw	*r = &ld->raw[k];
	char			 from[PATH_MAX + 32], val[64];

	if (r->line > 0)
		snprintf(from, sizeof(from), "%s:%d", ld->env_path, r->line);
	else
		snprintf(from, sizeof(from), "the environment");
	if (cfg_keys[k].flags & CFG_F_SECRET)
		snprintf(val, sizeof(val), "****");
	else
		cfg_quote(val, sizeof(val), r->val);
	ld->c->shadowed[k] = true;
	cfg_warn(ld->c, "%s=%s from %s is shadowed by %s:%d: %s (the YAML "
	    "file wins; remove the key there to use it)", cfg_keys[k].env, val,
	    from, ld->yaml_path, line, cfg_keys[k].name);
}

/* The value of a known key: one scalar, kept as text until cfg_apply(). */
static int
cfg_yaml_leaf(struct cfg_loader *ld, enum cfg_key k, yaml_node_t *vn)
{
	char	valid[128];

	if (vn->type != YAML_SCALAR_NODE) {
		cfg_errf(ld, "%s:%d: %s: expected a single value, got %s",
		    ld->yaml_path, cfg_line(vn), cfg_keys[k].name,
		    cfg_node_kind(vn));
		return -1;
	}
	if (cfg_node_null(vn)) {
		cfg_valid(&cfg_keys[k], valid, sizeof(valid));
		cfg_errf(ld, "%s:%d: %s: no value given (valid: %s)",
		    ld->yaml_path, cfg_line(vn), cfg_keys[k].name, valid);
		return -1;
	}
	/* yaml > env by design; say so, or an exported value looks ignored */
	if (ld->raw[k].src == CFG_SRC_ENV)
		cfg_warn_shadowed(ld, k, cfg_line(vn));
	free(ld->raw[k].val);
	if ((ld->raw[k].val = strdup((char *)vn->data.scalar.value)) == NULL) {
		cfg_errf(ld, "out of memory");
		return -1;
	}
	ld->raw[k].src = CFG_SRC_YAML;
	ld->raw[k].line = cfg_line(vn);
	return 0;
}

/* One "key: value" pair inside section. */
static int
cfg_yaml_pair(struct cfg_loader *ld, yaml_document_t *doc,
    yaml_node_t *kn, yaml_node_t *vn, const char *section)
{
	const char	*key = (const char *)kn->data.scalar.value;
	char		 path[128];
	int		 k;

	/* "order_config.levels: 3" would dodge the duplicate check. */
	if (strchr(key, '.') != NULL)
		return cfg_yaml_unknown(ld, section, key, cfg_line(kn));
	snprintf(path, sizeof(path), "%s%s%s", section, *section ? "." : "",
	    key);
	if ((k = cfg_yaml_key(path)) != -1)
		return cfg_yaml_leaf(ld, k, vn);
	if (!cfg_yaml_section(path))
		return cfg_yaml_unknown(ld, section, key, cfg_line(kn));
	if (cfg_node_null(vn))
		return 0;	/* "risk:" with nothing under it */
	if (vn->type != YAML_MAPPING_NODE) {
		cfg_errf(ld, "%s:%d: %s: expected a mapping of keys, got %s",
		    ld->yaml_path, cfg_line(vn), path, cfg_node_kind(vn));
		return -1;
	}
	return cfg_yaml_mapping(ld, doc, vn, path);
}

static int
cfg_yaml_mapping(struct cfg_loader *ld, yaml_document_t *doc,
    yaml_node_t *map, const char *section)
{
	yaml_node_pair_t	*first = map->data.mapping.pairs.start, *p;
	yaml_node_t		*kn, *vn;

	for (p = first; p < map->data.mapping.pairs.top; p++) {
		kn = yaml_document_get_node(doc, p->key);
		vn = yaml_document_get_node(doc, p->value);
		if (kn->type != YAML_SCALAR_NODE) {
			cfg_errf(ld, "%s:%d: keys must be plain names, got %s",
			    ld->yaml_path, cfg_line(kn), cfg_node_kind(kn));
			return -1;
		}
		if (cfg_yaml_dup(ld, doc, first, p, section) == -1 ||
		    cfg_yaml_pair(ld, doc, kn, vn, section) == -1)
			return -1;
	}
	return 0;
}

static void
cfg_yaml_syntax(struct cfg_loader *ld, const yaml_parser_t *yp)
{
	if (yp->error == YAML_READER_ERROR)
		cfg_errf(ld, "%s: byte %zu: %s", ld->yaml_path,
		    yp->problem_offset,
		    yp->problem ? yp->problem : "bad input");
	else if (yp->context != NULL)
		cfg_errf(ld, "%s:%zu:%zu: YAML syntax error: %s (%s that "
		    "starts at line %zu)",
		    ld->yaml_path, yp->problem_mark.line + 1,
		    yp->problem_mark.column + 1, yp->problem, yp->context,
		    yp->context_mark.line + 1);
	else
		cfg_errf(ld, "%s:%zu:%zu: YAML syntax error: %s",
		    ld->yaml_path, yp->problem_mark.line + 1,
		    yp->problem_mark.column + 1,
		    yp->problem ? yp->problem : "cannot parse");
}

static int
cfg_yaml_doc(struct cfg_loader *ld, yaml_document_t *doc)
{
	yaml_node_t	*root = yaml_document_get_root_node(doc);

	if (root == NULL || cfg_node_null(root))
		return 0;	/* an empty file: defaults and environment */
	if (root->type != YAML_MAPPING_NODE) {
		cfg_errf(ld, "%s:%d: expected a mapping of keys at the top "
		    "level, got %s", ld->yaml_path, cfg_line(root),
		    cfg_node_kind(root));
		return -1;
	}
	return cfg_yaml_mapping(ld, doc, root, "");
}

/* A second "---" document would be ignored: say so instead. */
static int
cfg_yaml_no_more(struct cfg_loader *ld, yaml_parser_t *yp)
{
	yaml_document_t	 doc;
	yaml_node_t	*root;
	int		 rc = 0;

	if (!yaml_parser_load(yp, &doc)) {
		cfg_yaml_syntax(ld, yp);
		return -1;
	}
	if ((root = yaml_document_get_root_node(&doc)) != NULL) {
		cfg_errf(ld, "%s:%zu: a second YAML document; put every key in "
		    "one", ld->yaml_path, doc.start_mark.line + 1);
		rc = -1;
	}
	yaml_document_delete(&doc);
	return rc;
}

static int
cfg_yaml_read(struct cfg_loader *ld)
{
	yaml_parser_t	 yp;
	yaml_document_t	 doc;
	struct stat	 st;
	FILE		*fp;
	int		 rc;

	if ((fp = fopen(ld->yaml_path, "r")) == NULL) {
		cfg_errf(ld, "%s: cannot open: %s", ld->yaml_path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fileno(fp), &st) == -1 || !S_ISREG(st.st_mode)) {
		cfg_errf(ld, "%s: not a regular file", ld->yaml_path);
		fclose(fp);
		return -1;
	}
	if (!yaml_parser_initialize(&yp)) {
		cfg_errf(ld, "%s: out of memory", ld->yaml_path);
		fclose(fp);
		return -1;
	}
	yaml_parser_set_input_file(&yp, fp);
	if (!yaml_parser_load(&yp, &doc)) {
		cfg_yaml_syntax(ld, &yp);
		rc = -1;
	} else {
		rc = cfg_yaml_doc(ld, &doc);
		yaml_document_delete(&doc);
	}
	if (rc == 0)
		rc = cfg_yaml_no_more(ld, &yp);
	yaml_parser_delete(&yp);
	fclose(fp);
	return rc;
}

/* ---------------------------------------------------------------- */
/* Turning raw values into the typed config                           */

/* "config.yaml:12: order_config.levels" or "environment PMM_X". */
static void
cfg_where(const struct cfg_loader *ld, enum cfg_key k, char *buf, size_t len)
{
	const struct cfg_raw	*r = &ld->raw[k];

	if (r->src == CFG_SRC_SET)
		snprintf(buf, len, "--set %s", cfg_keys[k].name);
	else if (r->src == CFG_SRC_YAML)
		snprintf(buf, len, "%s:%d: %s", ld->yaml_path, r->line,
		    cfg_keys[k].name);
	else if (r->line > 0)
		snprintf(buf, len, "%s:%d: %s", ld->env_path, r->line,
		    cfg_keys[k].env);
	else
		snprintf(buf, len, "environment %s", cfg_keys[k].env);
}

/* Into the caller's struct cfg_keys; the length was checked by cfg_set(). */
static void
cfg_keep_key(struct cfg_keys *keys, enum cfg_key k, const char *v)
{
	char	*dst = k == CFG_API_KEY ? keys->api_key : keys->secret_key;
	size_t	 n = strlen(v);

	memcpy(dst, v, n);
	dst[n] = '\0';
}

/* One --set "key=value": the key must be a YAML key of the table. */
static int
cfg_set_one(struct cfg_loader *ld, const char *kv)
{
	const char	*eq = strchr(kv, '=');
	char		 key[64], hint[64] = "", valid[128];
	size_t		 best = SIZE_MAX, n;
	int		 k, found = -1;

	n = eq != NULL ? (size_t)(eq - kv) : strlen(kv);
	cfg_quote(key, sizeof(key), kv);
	if (n < sizeof(key))
		key[n < strlen(key) ? n : strlen(key)] = '\0';
	for (k = 0; k < CFG_KEY_COUNT; k++) {
		if (cfg_keys[k].flags & CFG_F_ENVONLY)
			continue;
		if (strlen(cfg_keys[k].name) == n &&
		    strncmp(cfg_keys[k].name, kv, n) == 0)
			found = k;
		else if (cfg_near(key, cfg_keys[k].name, &best))
			snprintf(hint, sizeof(hint), "%s", cfg_keys[k].name);
	}
	if (found < 0) {
		if (hint[0] != '\0')
			cfg_errf(ld, "--set %s: unknown key (did you mean "
			    "\"%s\"?)", key, hint);
		else
			cfg_errf(ld, "--set %s: unknown key (valid: the dotted "
			    "keys of config/config.yaml, e.g. "
			    "order_config.levels)", key);
		return -1;
	}
	if (eq == NULL || eq[1] == '\0') {
		cfg_valid(&cfg_keys[found], valid, sizeof(valid));
		cfg_errf(ld, "--set %s: no value given (write key=value; "
		    "valid: %s)", cfg_keys[found].name, valid);
		return -1;
	}
	free(ld->raw[found].val);
	if ((ld->raw[found].val = strdup(eq + 1)) == NULL) {
		cfg_errf(ld, "out of memory");
		return -1;
	}
	ld->raw[found].src = CFG_SRC_SET;
	ld->raw[found].line = 0;
	return 0;
}

static int
cfg_apply(struct cfg_loader *ld)
{
	char	why[CFG_ERRLEN / 2], where[PATH_MAX + 128];
	int	k;

	for (k = 0; k < CFG_KEY_COUNT; k++) {
		if (ld->raw[k].val == NULL)
			continue;
		if (cfg_set(ld->c, k, ld->raw[k].val, why, sizeof(why)) == -1) {
			cfg_where(ld, k, where, sizeof(where));
			cfg_errf(ld, "%s: %s", where, why);
			return -1;
		}
		ld->c->src[k] = ld->raw[k].src;
		if (cfg_key_slot(k) != -1 && (ld->flags & CFG_LOAD_KEEP))
			cfg_keep_key(ld->keys, k, ld->raw[k].val);
	}
	return 0;
}

/*
 * Keys bounded by another key (backoff_max >= backoff_initial). Blame the
 * one the user set: a default is never the mistake.
 */
static int
cfg_check_floor(struct cfg_loader *ld, enum cfg_key k)
{
	const struct cfg_keydef	*kd = &cfg_keys[k];
	struct cfg		*c = ld->c;
	enum cfg_key		 f = kd->floor, bad;
	double			 v = cfg_num(c, k), fv = cfg_num(c, f);
	int			 excl = (kd->flags & CFG_F_FLOOREXCL) != 0;
	char			 where[PATH_MAX + 128], range[96];

	if (excl ? v > fv : v >= fv)
		return 0;
	bad = (c->src[k] == CFG_SRC_DEFAULT && c->src[f] != CFG_SRC_DEFAULT) ?
	    f : k;
	cfg_where(ld, bad, where, sizeof(where));
	cfg_range(&cfg_keys[bad], range, sizeof(range));
	if (bad == k)
		cfg_errf(ld, "%s: %.10g is out of range (valid: %s and %s %s "
		    "= %.10g)", where, v, range, excl ? "greater than" :
		    "at least", cfg_keys[f].name, fv);
	else
		cfg_errf(ld, "%s: %.10g is out of range (valid: %s and %s %s "
		    "= %.10g)", where, fv, range, excl ? "less than" :
		    "at most", kd->name, v);
	return -1;
}

/*
 * The inventory target must lie inside the soft limit the strategies keep
 * the position in, or they could never reach it.
 */
static int
cfg_check_target(struct cfg_loader *ld)
{
	struct cfg	*c = ld->c;
	double		 soft = c->inventory.soft_limit_ratio *
	    c->initial_capital * c->max_net_position_ratio;
	char		 where[PATH_MAX + 128];

	if (fabs(c->inventory.target_usdt) <= soft)
		return 0;
	cfg_where(ld, CFG_INV_TARGET_USDT, where, sizeof(where));
	cfg_errf(ld, "%s: %.10g is out of range (valid: -%.10g to %.10g, "
	    "inventory.soft_limit_ratio x initial_capital x "
	    "max_net_position_ratio)", where, c->inventory.target_usdt, soft,
	    soft);
	return -1;
}

static int
cfg_check_cross(struct cfg_loader *ld)
{
	struct cfg	*c = ld->c;
	const char	*envfile = ld->env_path ? ld->env_path : ".env";
	int		 k;

	for (k = 0; k < CFG_KEY_COUNT; k++)
		if ((cfg_keys[k].flags & (CFG_F_FLOOR | CFG_F_FLOOREXCL)) &&
		    cfg_check_floor(ld, k) == -1)
			return -1;
	if (cfg_check_target(ld) == -1)
		return -1;
	if (c->exchange_env == CFG_ENV_SIM)
		return 0;
	if (ld->flags & CFG_LOAD_NOKEYS)
		return 0;
	for (k = CFG_API_KEY; k <= CFG_SECRET_KEY; k++)
		if (*(size_t *)cfg_field(c, k) == 0) {
			cfg_errf(ld, "%s: %s is required when EXCHANGE_ENV=%s",
			    envfile, cfg_keys[k].env,
			    cfg_env_name(c->exchange_env));
			return -1;
		}
	return 0;
}

/* Legal but probably not meant: said once at start-up, not fatal. */
static void
cfg_check_sense(struct cfg *c)
{
	double	limit = c->initial_capital * c->max_net_position_ratio;
	double	qty = c->order.quantity_per_order_usdt;
	double	open = 2.0 * c->order.levels * qty;

	if (limit < 3 * qty)
		cfg_warn(c, "position limit %.10g USDT is less than 3 orders "
		    "of %.10g USDT: one or two fills will trip the risk stop",
		    limit, qty);
	if (open > c->initial_capital * c->leverage)
		cfg_warn(c, "%d levels x 2 sides x %.10g USDT = %.10g USDT of "
		    "open orders needs more margin than initial_capital x "
		    "leverage = %.10g USDT", c->order.levels, qty, open,
		    c->initial_capital * c->leverage);
	if (c->exchange.countdown_cancel_ms == 0 &&
	    c->exchange_env != CFG_ENV_SIM)
		cfg_warn(c, "exchange.countdown_cancel_ms is 0: orders stay on "
		    "the exchange if pmm dies");
	/* a local exchange on another port is routine; another Binance not */
	if (c->exchange_env != CFG_ENV_SIM &&
	    (c->src[CFG_REST_URL] != CFG_SRC_DEFAULT ||
	    c->src[CFG_WS_URL] != CFG_SRC_DEFAULT))
		cfg_warn(c, "exchange URLs overridden for EXCHANGE_ENV=%s: %s "
		    "and %s", cfg_env_name(c->exchange_env), c->rest_url,
		    c->ws_url);
}

static void
cfg_loader_free(struct cfg_loader *ld)
{
	size_t	i;
	int	k;

	for (k = 0; k < CFG_KEY_COUNT; k++) {
		if (ld->raw[k].val != NULL)
			explicit_bzero(ld->raw[k].val, strlen(ld->raw[k].val));
		free(ld->raw[k].val);
	}
	for (i = 0; i < ld->ndotenv; i++) {
		explicit_bzero(ld->dotenv[i].val, strlen(ld->dotenv[i].val));
		free(ld->dotenv[i].key);
		free(ld->dotenv[i].val);
	}
	free(ld->dotenv);
}

int
cfg_load(struct cfg *c, const char *yaml_path, const char *env_path,
    char *err, size_t errlen)
{
	return cfg_load_keys(c, yaml_path, env_path, NULL, 0, err, errlen);
}

static int	cfg_load_ld(struct cfg *, const char *, const char *,
		    struct cfg_keys *, unsigned, const char *const *, int,
		    char *, size_t);

int
cfg_load_keys(struct cfg *c, const char *yaml_path, const char *env_path,
    struct cfg_keys *keys, unsigned flags, char *err, size_t errlen)
{
	return cfg_load_ld(c, yaml_path, env_path, keys, flags, NULL, 0, err,
	    errlen);
}

int
cfg_load_set(struct cfg *c, const char *yaml_path, const char *env_path,
    const char *const *sets, int nsets, unsigned flags, char *err,
    size_t errlen)
{
	return cfg_load_ld(c, yaml_path, env_path, NULL, flags, sets, nsets,
	    err, errlen);
}

static int
cfg_load_ld(struct cfg *c, const char *yaml_path, const char *env_path,
    struct cfg_keys *keys, unsigned flags, const char *const *sets,
    int nsets, char *err, size_t errlen)
{
	struct cfg_loader	ld;
	int			i;
	char			scratch[8];
	int			rc = -1;

	if (err == NULL || errlen == 0)
		err = scratch, errlen = sizeof(scratch);
	err[0] = '\0';
	cfg_defaults(c);
	snprintf(c->yaml_path, sizeof(c->yaml_path), "%s",
	    yaml_path ? yaml_path : "");
	snprintf(c->env_path, sizeof(c->env_path), "%s",
	    env_path ? env_path : "");
	memset(&ld, 0, sizeof(ld));
	ld.c = c;
	ld.yaml_path = yaml_path;
	ld.env_path = env_path;
	ld.err = err;
	ld.errlen = errlen;
	ld.keys = keys;
	ld.flags = keys != NULL ? flags : flags & ~CFG_LOAD_KEEP;
	if (keys != NULL && (flags & CFG_LOAD_KEEP))
		keys->api_key[0] = keys->secret_key[0] = '\0';

	if (env_path != NULL && cfg_dotenv_read(&ld) == -1)
		goto out;
	if (cfg_gather_env(&ld) == -1)
		goto out;
	if (yaml_path != NULL && cfg_yaml_read(&ld) == -1)
		goto out;
	for (i = 0; i < nsets; i++)
		if (cfg_set_one(&ld, sets[i]) == -1)
			goto out;
	if (cfg_apply(&ld) == -1)
		goto out;
	cfg_resolve_instance(c);
	cfg_resolve_urls(c);
	if (cfg_check_cross(&ld) == -1)
		goto out;
	cfg_check_sense(c);
	cfg_warn_env_typos(c);
	rc = 0;
out:
	cfg_loader_free(&ld);
	return rc;
}

/* ---------------------------------------------------------------- */
/* What a running tree needs beyond a valid config                    */

int
cfg_env_file_check(const char *path, char *err, size_t errlen)
{
	int	fd;

	/* open, not access(): as the loader will, with the same errno */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: cannot read: %s", path,
		    strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

int
cfg_check_keys(const struct cfg *c, char *err, size_t errlen)
{
	const char	*file = c->env_path[0] != '\0' ? c->env_path : ".env";
	const char	*missing = NULL;
	struct stat	 st;

	if (c->api_key_len == 0)
		missing = cfg_keys[CFG_API_KEY].env;
	else if (c->secret_key_len == 0)
		missing = cfg_keys[CFG_SECRET_KEY].env;
	if (missing == NULL)
		return 0;
	snprintf(err, errlen, "%s is not set (%s %s, nor in the environment); "
	    "every account request pmm sends is signed: set BINANCE_API_KEY "
	    "and BINANCE_SECRET_KEY", missing,
	    stat(file, &st) == 0 ? "not in" : "no file", file);
	return -1;
}

/* ---------------------------------------------------------------- */
/* The keys of a process that signs                                   */

struct cfg_keys *
cfg_keys_new(void)
{
	return secmem_alloc(sizeof(struct cfg_keys));
}

void
cfg_keys_free(struct cfg_keys *k)
{
	secmem_free(k, sizeof(*k));
}

void
cfg_keys_take_env(struct cfg_keys *k)
{
	extern char	**environ;
	char		 *seen[16], **e;
	const char	 *name;
	size_t		  n, nseen = 0, i;
	int		  slot;

	for (slot = 0; slot < 2; slot++) {
		name = cfg_keys[slot == 0 ? CFG_API_KEY : CFG_SECRET_KEY].env;
		n = strlen(name);
		if (k != NULL)
			k->env[slot][0] = '\0';
		/* the first is what getenv() would answer; wipe every one */
		for (e = environ; e != NULL && *e != NULL; e++) {
			if (strncmp(*e, name, n) != 0 || (*e)[n] != '=')
				continue;
			if (k != NULL && k->env[slot][0] == '\0')
				snprintf(k->env[slot], sizeof(k->env[slot]),
				    "%s", *e);
			if (nseen < sizeof(seen) / sizeof(seen[0]))
				seen[nseen++] = *e;
		}
		/* unset by name first: a wiped string has no name left */
		unsetenv(name);
	}
	for (i = 0; i < nseen; i++)
		explicit_bzero(seen[i], strlen(seen[i]));
}

/* ---------------------------------------------------------------- */
/* Printing                                                           */

static void
cfg_value_text(const struct cfg *c, enum cfg_key k, char *buf, size_t len)
{
	const struct cfg_keydef	*kd = &cfg_keys[k];
	const void		*p = (const char *)c + kd->off;
	const struct cfg_enum	*e;

	switch (kd->type) {
	case CFG_T_INT:
		snprintf(buf, len, "%d", *(const int *)p);
		break;
	case CFG_T_DBL:
		snprintf(buf, len, "%.10g", *(const double *)p);
		break;
	case CFG_T_BOOL:
		snprintf(buf, len, "%s", *(const bool *)p ? "true" : "false");
		break;
	case CFG_T_ENUM:
		snprintf(buf, len, "?");
		for (e = kd->enums; e->name != NULL; e++)
			if (e->val == *(const int *)p)
				snprintf(buf, len, "%s", e->name);
		break;
	case CFG_T_STR:
		snprintf(buf, len, "%s", (const char *)p);
		break;
	case CFG_T_KEY:
		if (*(const size_t *)p == 0)
			snprintf(buf, len, "(not set)");
		else
			snprintf(buf, len, "****(%zu chars)",
			    *(const size_t *)p);
		break;
	}
}

void
cfg_print(const struct cfg *c, FILE *fp)
{
	char	val[PATH_MAX + 32];
	int	k;

	for (k = 0; k < CFG_KEY_COUNT; k++) {
		cfg_value_text(c, k, val, sizeof(val));
		fprintf(fp, "%s = %s  (%s%s%s)\n", cfg_keys[k].name, val,
		    cfg_src_name(c->src[k]), c->shadowed[k] ?
		    ", shadows environment " : "", c->shadowed[k] ?
		    cfg_keys[k].env : "");
	}
}

/* ---------------------------------------------------------------- */
/* Finding the instance without the whole config                     */

/* A top-level "key: value" line, for a file libyaml cannot parse. */
static int
cfg_peek_line(const char *path, const char *key, char *buf, size_t len)
{
	char	 line[512], *v, *e;
	size_t	 n = strlen(key);
	FILE	*fp;
	int	 found = 0;

	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), fp) != NULL) {
		if (strncmp(line, key, n) != 0 || line[n] != ':')
			continue;
		v = line + n + 1;
		v += strspn(v, " \t");
		if (*v == '"' || *v == '\'') {
			if ((e = strchr(v + 1, *v)) == NULL)
				continue;
			v++;
		} else
			e = v + strcspn(v, " \t#\r\n");
		*e = '\0';
		if (*v != '\0' && cfg_check_id(v) == 0 && strlen(v) < len) {
			snprintf(buf, len, "%s", v);
			found = 1;
		}
	}
	fclose(fp);
	return found;
}

/* The scalar at the top level of a file libyaml can parse. */
static int
cfg_peek_yaml(const char *path, const char *key, char *buf, size_t len)
{
	yaml_parser_t		 yp;
	yaml_document_t		 doc;
	yaml_node_t		*root, *k, *v;
	yaml_node_pair_t	*p;
	FILE			*fp;
	int			 found = -1;	/* -1: the file did not parse */

	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	if (!yaml_parser_initialize(&yp)) {
		fclose(fp);
		return -1;
	}
	yaml_parser_set_input_file(&yp, fp);
	if (yaml_parser_load(&yp, &doc)) {
		found = 0;
		root = yaml_document_get_root_node(&doc);
		for (p = root && root->type == YAML_MAPPING_NODE ?
		    root->data.mapping.pairs.start : NULL;
		    p != NULL && p < root->data.mapping.pairs.top; p++) {
			k = yaml_document_get_node(&doc, p->key);
			v = yaml_document_get_node(&doc, p->value);
			if (k->type != YAML_SCALAR_NODE ||
			    v->type != YAML_SCALAR_NODE ||
			    strcmp((char *)k->data.scalar.value, key) != 0 ||
			    cfg_check_id((char *)v->data.scalar.value) != 0 ||
			    v->data.scalar.length == 0 ||
			    v->data.scalar.length >= len)
				continue;
			snprintf(buf, len, "%s", (char *)v->data.scalar.value);
			found = 1;
		}
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&yp);
	fclose(fp);
	return found;
}

static int
cfg_peek_key(const char *path, const char *key, char *buf, size_t len)
{
	int	rc = cfg_peek_yaml(path, key, buf, len);

	return rc == -1 ? cfg_peek_line(path, key, buf, len) : rc;
}

int
cfg_peek_instance(const char *yaml_path, char *buf, size_t len)
{
	static const enum cfg_key order[] = { CFG_INSTANCE_ID,
	    CFG_STRATEGY_NAME };
	const char	*v;
	size_t		 i;

	/* the same precedence as cfg_load: yaml > environment > default */
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (yaml_path != NULL && cfg_peek_key(yaml_path,
		    cfg_keys[order[i]].name, buf, len))
			return 0;
		v = getenv(cfg_keys[order[i]].env);
		if (v != NULL && *v != '\0' && cfg_check_id(v) == 0 &&
		    strlen(v) < len) {
			snprintf(buf, len, "%s", v);
			return 0;
		}
	}
	snprintf(buf, len, "%s", cfg_keys[CFG_STRATEGY_NAME].def);
	return 0;
}

void
cfg_symbol_assets(const char *symbol, char *base, size_t blen, char *quote,
    size_t qlen)
{
	static const char *const q[] = { "USDT", "USDC", "FDUSD", "BUSD" };
	size_t i, n = strlen(symbol), k;

	for (i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		k = strlen(q[i]);
		if (n > k && strcmp(symbol + n - k, q[i]) == 0) {
			snprintf(base, blen, "%.*s", (int)(n - k), symbol);
			snprintf(quote, qlen, "%s", q[i]);
			return;
		}
	}
	snprintf(base, blen, "%s", symbol);
	snprintf(quote, qlen, "USDT");
}
