/*
 * bt_sweep.h — `pmm-backtest sweep`: a grid of --set values, one backtest
 * per point run as a child process (the program itself), one summary row
 * per point, sorted by a chosen figure, written as sweep.csv and shown as
 * an aligned table.
 *
 *   pmm-backtest sweep [-c config.yaml] --grid 'key=v1,v2,v3' [--grid ...]
 *                      [--sort FIGURE[:asc|:desc]] [--jobs N] [--out DIR]
 *                      [-- <backtest args>]
 *
 * The pure parts (grid parsing, the points of the cartesian product, the
 * figures, the order of the rows, the CSV and the table) are separate from
 * the one function that forks, so they are unit-tested on their own.
 */
#ifndef PMM_BT_SWEEP_H
#define PMM_BT_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define BTS_GRID_MAX_KEYS	16
#define BTS_GRID_MAX_POINTS	10000
#define BTS_SWEEP_CSV		"sweep.csv"
#define BTS_SWEEP_DEFAULT_OUT	"sweep"
#define BTS_SWEEP_DEFAULT_SORT	"net_pnl"
#define BTS_EXIT_USAGE		2	/* as pmm-backtest's own usage errors */

/* One --grid 'key=v1,v2': the key and its values, in the given order. */
struct bts_grid_key {
	char		*key;
	char	       **vals;
	int		 nvals;
};

/* The cartesian product of the keys, the first key varying slowest. */
struct bts_grid {
	struct bts_grid_key k[BTS_GRID_MAX_KEYS];
	int		 nkeys;
};

/* Add one 'key=v1,v2,...' (spaces around names and values are trimmed).
 * 0, or -1 with a message naming what is wrong: no '=', a key that is not
 * a dotted name, an empty value, a key given twice, too many keys or
 * points. */
int	bts_grid_add(struct bts_grid *, const char *spec, char *err,
	    size_t errlen);
/* Points in the product; 0 when there is no key. */
long	bts_grid_points(const struct bts_grid *);
/* The value index of each key for point i (0 <= i < points). */
void	bts_grid_point(const struct bts_grid *, long i, int *idx);
void	bts_grid_free(struct bts_grid *);

/* A figure of the summary (a top-level number of summary.json). */
struct bts_figure {
	const char	*name;
	bool		 lower_better;	/* the default order ascends */
};
extern const struct bts_figure bts_figures[];
extern const int bts_nfigures;
/* Index in bts_figures, or -1. */
int	bts_figure_find(const char *name);

struct bts_sort {
	int		 fig;		/* index in bts_figures */
	bool		 desc;
};
/* "FIGURE", "FIGURE:asc" or "FIGURE:desc"; without a suffix the figure's
 * own better-first order. 0, or -1 with a message listing the figures. */
int	bts_sort_parse(const char *spec, struct bts_sort *, char *err,
	    size_t errlen);

/* One point's result: its figures (NaN = null or absent). */
struct bts_row {
	long		 point;
	double		*fig;		/* bts_nfigures values */
};

/* Fill row->fig from a summary.json text. 0, or -1 with a message. */
int	bts_row_from_json(struct bts_row *, const char *text, char *err,
	    size_t errlen);
/* Order rows by the sort figure (undefined last), ties by point. */
void	bts_rows_sort(struct bts_row *, size_t n, const struct bts_sort *);
/* "point-007" for point 7 (a wider number beyond 999). */
void	bts_point_name(char *buf, size_t len, long point);

/* rank, point, one column per grid key, then every figure; empty for an
 * undefined one. 0, or -1 on a write error. */
int	bts_sweep_write_csv(FILE *, const struct bts_grid *,
	    const struct bts_row *, size_t n);
/* The aligned table: rank, point, the grid values and the main figures
 * (and the sort figure). */
int	bts_sweep_write_table(FILE *, const struct bts_grid *,
	    const struct bts_row *, size_t n, const struct bts_sort *);

struct bts_sweep_opts {
	const char	*exe;		/* the backtest program to run */
	const char	*config;	/* -c, or NULL */
	struct bts_grid	 grid;
	struct bts_sort	 sort;
	int		 jobs;
	const char	*out;		/* must not exist, or be empty */
	char	       **bt_args;	/* after "--" */
	int		 n_bt_args;
};

/* The command line after "sweep" (argv[0] is "sweep"); 0, or -1 with a
 * message. Fills opts (free with bts_sweep_opts_free). */
int	bts_sweep_parse(int argc, char **argv, struct bts_sweep_opts *,
	    char *err, size_t errlen);
void	bts_sweep_opts_free(struct bts_sweep_opts *);

/* Run the sweep: every point is `exe [-c config] <bt_args> --set k=v ...
 * --out OUT/point-NNN`, at most `jobs` at a time. The points run in
 * OUT.partial-PID, renamed to OUT when all succeeded; if one fails, the
 * others are stopped, its error is printed once on stderr, the partial
 * folder is removed and the child's exit status returned (78 for a
 * config error). Otherwise 0, with OUT/sweep.csv and the table on `tty`. */
int	bts_sweep_run(const struct bts_sweep_opts *, FILE *tty);

/* `pmm-backtest sweep ...`: argv[0] is "sweep". The exit status. */
int	bts_sweep_main(int argc, char **argv);

#endif
