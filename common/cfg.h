/*
 * cfg.h — the one typed configuration object of a pmm instance.
 *
 * Values come from config/config.yaml, from the environment (the process
 * environment over the .env file), or from a default, with the precedence
 * yaml > env > default. Every value remembers where it came from so
 * `pmmd -n` and `pmmctl config` can show it. A bad config yields one message
 * naming the file, line, key and what would be valid; callers exit with
 * CFG_EXIT (78, EX_CONFIG) before anything else starts.
 */
#ifndef PMM_CFG_H
#define PMM_CFG_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

#define CFG_EXIT	78	/* sysexits.h EX_CONFIG */
#define CFG_ERRLEN	1024

/* Where a value came from; a command line's --set wins over the file. */
enum cfg_src { CFG_SRC_DEFAULT = 0, CFG_SRC_ENV, CFG_SRC_YAML, CFG_SRC_SET };
enum cfg_env { CFG_ENV_SIM = 0, CFG_ENV_TESTNET, CFG_ENV_LIVE };
enum cfg_refresh { CFG_REFRESH_REPLACE = 0, CFG_REFRESH_TOLERANCE };
enum cfg_horizon { CFG_HORIZON_INFINITE = 0, CFG_HORIZON_FINITE };

/*
 * Every key, in the order it is printed. The dotted YAML name, its
 * environment variable and its bounds live in cfg.c's key table.
 */
enum cfg_key {
	CFG_INSTANCE_ID,
	CFG_STRATEGY_NAME,
	CFG_SYMBOL,
	CFG_LEVERAGE,
	CFG_INITIAL_CAPITAL,
	CFG_MAX_NET_POSITION_RATIO,
	CFG_ORDER_LEVELS,
	CFG_ORDER_QTY_USDT,
	CFG_ORDER_PRICE_OFFSET_PCT,
	CFG_ORDER_REFRESH_MODE,
	CFG_ORDER_REFRESH_TOLERANCE_PCT,
	CFG_ORDER_MAX_SPREAD_PCT,
	CFG_ORDER_MAX_MARK_DEV_PCT,
	CFG_ORDER_MAX_MID_JUMP_PCT,
	CFG_ORDER_MID_JUMP_WINDOW,
	CFG_REFRESH_ORDERBOOK_INTERVAL,
	CFG_REFRESH_RISK_INTERVAL,
	CFG_LOG_TO_CSV,
	CFG_LOG_DIRECTORY,
	CFG_LOG_LEVEL,
	CFG_LOG_SUMMARY_INTERVAL,
	CFG_MARKET_STALE_AFTER,
	CFG_RISK_MAX_LOSS_USDT,
	CFG_RISK_AUTO_RESUME_AFTER,
	CFG_RISK_ADOPT_POSITION,
	CFG_INV_TARGET_USDT,
	CFG_INV_SOFT_LIMIT_RATIO,
	CFG_SKEW_PRICE_SKEW_PCT,
	CFG_SKEW_SIZE_SKEW,
	CFG_AS_GAMMA,
	CFG_AS_HORIZON,
	CFG_AS_HORIZON_MODE,
	CFG_GLFT_GAMMA,
	CFG_EST_LIVE,
	CFG_EST_WINDOW,
	CFG_EST_SAMPLE_INTERVAL,
	CFG_EST_DEPTH_STEP_BP,
	CFG_EST_MIN_TRADES,
	CFG_EST_FALLBACK_SIGMA_BP,
	CFG_EST_FALLBACK_A,
	CFG_EST_FALLBACK_K,
	CFG_EXCH_COUNTDOWN_MS,
	CFG_EXCH_RECV_WINDOW_MS,
	CFG_SUP_MAX_DEATHS,
	CFG_SUP_DEATH_WINDOW,
	CFG_SUP_BACKOFF_INITIAL,
	CFG_SUP_BACKOFF_MAX,
	CFG_SUP_HEARTBEAT_INTERVAL,
	CFG_SUP_HEARTBEAT_TIMEOUT,
	CFG_SUP_READY_TIMEOUT,
	CFG_SUP_STOP_TIMEOUT,
	CFG_METRICS_ENABLED,
	CFG_METRICS_ADDRESS,
	CFG_METRICS_PORT,
	/* from .env / environment only */
	CFG_API_KEY,
	CFG_SECRET_KEY,
	CFG_EXCHANGE_ENV,
	CFG_LISTEN_KEY_REFRESH,
	CFG_REST_URL,
	CFG_WS_URL,
	CFG_KEY_COUNT
};

struct cfg {
	char		 yaml_path[PATH_MAX];
	char		 env_path[PATH_MAX];

	char		 instance_id[64];	/* default: strategy_name */
	char		 strategy_name[64];
	char		 symbol[32];		/* upper case, e.g. BTCUSDT */
	int		 leverage;		/* 1..125 */
	double		 initial_capital;	/* USDT */
	double		 max_net_position_ratio;/* (0, 10] */

	struct {
		int		 levels;		/* 1..20 per side */
		double		 quantity_per_order_usdt;
		double		 price_offset_percent;	/* per level */
		enum cfg_refresh refresh_mode;
		double		 refresh_tolerance_percent;
		/* book sanity before quoting (services/core/pxguard.c) */
		double		 max_spread_percent;
		double		 max_mark_deviation_percent;
		double		 max_mid_jump_percent;
		double		 mid_jump_window;	/* s */
	} order;

	struct {
		double	orderbook_refresh_interval;	/* s */
		double	risk_check_interval;		/* s */
	} refresh;

	struct {
		bool	log_to_csv;
		char	log_directory[PATH_MAX];
		int	log_level;			/* enum log_level */
		int	summary_interval;		/* s; 0 = off */
	} logging;

	struct {
		double	stale_after;			/* s */
	} market;

	struct {
		double	max_loss_usdt;			/* 0 = off */
		double	auto_resume_after;		/* s, 0 = manual */
		bool	adopt_position;			/* trade a position this
							   instance did not leave */
	} risk;

	/* the inventory-aware strategies (services/strat_*.c) */
	struct {
		double	target_usdt;		/* signed notional to hold */
		double	soft_limit_ratio;	/* of the position limit */
	} inventory;
	struct {
		double	price_skew_percent;	/* ladder shift at the limit */
		double	size_skew;		/* 0..1 */
	} skew;
	struct {
		double	gamma;			/* 1/bp per order */
		double	horizon;		/* s */
		int	horizon_mode;		/* enum cfg_horizon */
	} avellaneda;
	struct {
		double	gamma;			/* 1/bp per order */
	} glft;
	/* live sigma, A, k (services/estim.c, fed by the market service) */
	struct {
		bool	live;			/* false: the fallbacks only */
		double	window;			/* s */
		double	sample_interval;	/* s */
		double	depth_step_bp;
		int	min_trades;
		double	fallback_sigma_bp;	/* bp per sqrt(s) */
		double	fallback_a;		/* per s */
		double	fallback_k;		/* per bp */
	} estimator;

	struct {
		int	countdown_cancel_ms;		/* 0 = off */
		int	recv_window_ms;
	} exchange;

	struct {
		int	max_deaths;		/* in death_window seconds ... */
		double	death_window;		/* ... then escalate */
		double	backoff_initial;	/* s, for the 2nd restart */
		double	backoff_max;		/* s */
		double	heartbeat_interval;	/* s */
		double	heartbeat_timeout;	/* s: hung child is killed */
		double	ready_timeout;		/* s */
		double	stop_timeout;		/* s before SIGKILL on stop */
	} supervisor;

	struct {
		bool	enabled;		/* Prometheus /metrics */
		char	listen_address[64];	/* loopback only */
		int	port;			/* 0: the kernel picks */
	} metrics;

	/* .env / environment: whether the keys are set, never their values
	 * (those are in a struct cfg_keys, only in a process that signs) */
	size_t		 api_key_len;		/* 0 = not set */
	size_t		 secret_key_len;
	enum cfg_env	 exchange_env;
	int		 listen_key_refresh_interval;	/* s */
	char		 rest_url[256];		/* resolved from env + overrides */
	char		 ws_url[256];

	enum cfg_src	 src[CFG_KEY_COUNT];
	/* a yaml value that overrides an environment one (said by -n) */
	bool		 shadowed[CFG_KEY_COUNT];
	/* Warnings that are not errors (e.g. a limit below a few orders). */
	char		 warnings[CFG_ERRLEN];
};

#define CFG_KEY_MAX	128	/* an API key or secret, with its NUL */

/*
 * The API key and secret, for the processes that sign (order, risk) and for
 * pmmd to hand to them: in a page of its own excluded from core dumps (see
 * secmem.h), wiped by cfg_keys_free(). Never copied into a struct cfg.
 */
struct cfg_keys {
	char	api_key[CFG_KEY_MAX];
	char	secret_key[CFG_KEY_MAX];
	/*
	 * "BINANCE_API_KEY=..." and "BINANCE_SECRET_KEY=..." as they were in
	 * the process environment (cfg_keys_take_env), or "": the loader reads
	 * them here instead of getenv(), and pmmd passes them on (putenv) to
	 * the children that sign, and to no other.
	 */
	char	env[2][CFG_KEY_MAX + 24];
};

struct cfg_keys	*cfg_keys_new(void);
void		 cfg_keys_free(struct cfg_keys *k);
/*
 * Move BINANCE_API_KEY and BINANCE_SECRET_KEY out of the process
 * environment into k (k may be NULL: only wipe them): unset, and the
 * strings wiped where they were, so neither a child nor a core dump sees
 * them there.
 */
void		 cfg_keys_take_env(struct cfg_keys *k);

/* cfg_load_keys() flags */
#define CFG_LOAD_NOKEYS	0x01	/* never read the keys (a process that
				   does not sign): none required, none kept */
#define CFG_LOAD_KEEP	0x02	/* copy the keys into k */

/*
 * cfg_load, with the keys: their environment values are read from k->env
 * when k is given (else getenv), and with CFG_LOAD_KEEP copied into k.
 */
int		 cfg_load_keys(struct cfg *c, const char *yaml_path,
		    const char *env_path, struct cfg_keys *k, unsigned flags,
		    char *err, size_t errlen);

/*
 * cfg_load_keys, then nsets command-line overrides "key=value" (the dotted
 * YAML name, e.g. order_config.levels=5) as if the file said so last: each
 * goes through the same parsing and checks, and a bad one is the same
 * message naming "--set <key>" where a file's names the line (an unknown
 * key says which it may have meant). Environment-only keys (the API
 * keys, EXCHANGE_ENV) cannot be set this way.
 */
int		 cfg_load_set(struct cfg *c, const char *yaml_path,
		    const char *env_path, const char *const *sets, int nsets,
		    unsigned flags, char *err, size_t errlen);

/*
 * Load yaml_path and env_path (env_path may be missing: then only the process
 * environment is used). On error returns -1 and writes one message to err
 * that names file, line, key and what would be valid. Never prints. The
 * keys are checked and their lengths kept, their values are not.
 */
int		 cfg_load(struct cfg *c, const char *yaml_path,
		    const char *env_path, char *err, size_t errlen);
/*
 * The instance a config names, from the file's top-level instance_id (else
 * strategy_name), the environment or the default, without validating the
 * rest: pmmctl finds a running tree even while the file on disk has an
 * error. Always fills buf; returns 0.
 */
int		 cfg_peek_instance(const char *yaml_path, char *buf,
		    size_t len);
/*
 * "Did you mean": 1 when typed is a likely typo of known and closer than
 * *best (an edit distance, updated); start with *best = SIZE_MAX.
 */
int		 cfg_near(const char *typed, const char *known, size_t *best);
/*
 * A file named with -e must exist and be readable (cfg_load takes an absent
 * one as "the process environment alone", which is right only for the
 * default .env). 0, or -1 with "<path>: cannot read: <errno text>" in err.
 */
int		 cfg_env_file_check(const char *path, char *err,
		    size_t errlen);
/*
 * What running a tree needs beyond a valid config: BINANCE_API_KEY and
 * BINANCE_SECRET_KEY, on every EXCHANGE_ENV (pmm-exchange checks keys and
 * signatures as Binance does, and every account endpoint pmm uses is
 * signed). 0, or -1 naming the missing one and where it was looked for.
 */
int		 cfg_check_keys(const struct cfg *c, char *err, size_t errlen);
/* Defaults only (used by tests and as the starting point of cfg_load). */
void		 cfg_defaults(struct cfg *c);
/* Print the effective config, one "key = value  (source)" a line, secrets masked. */
void		 cfg_print(const struct cfg *c, FILE *fp);
const char	*cfg_key_name(enum cfg_key k);
const char	*cfg_src_name(enum cfg_src s);
const char	*cfg_env_name(enum cfg_env e);
/*
 * "BTC" and "USDT" from the symbol "BTCUSDT": the quote asset is the
 * suffix among USDT, USDC, FDUSD, BUSD (USDT when none matches, and the
 * base is then the whole symbol). The one place pmm splits a symbol.
 */
void		 cfg_symbol_assets(const char *symbol, char *base, size_t blen,
		    char *quote, size_t qlen);

#endif
