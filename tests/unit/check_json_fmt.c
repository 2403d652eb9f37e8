/*
 * check_json_fmt.c — a static check of every jansson json_pack() and
 * json_unpack() call in the project's sources: the format string must be
 * a literal, well formed (balanced {} and [], string keys), and name
 * exactly as many values as the call passes.
 *
 * Why a test and not the compiler: json_pack is variadic without a
 * printf-style attribute, so a format with one pair more than its values
 * compiles cleanly and reads a garbage pointer at run time — that is how
 * GET /fapi/v1/premiumIndex killed pmm-exchange with SIGSEGV. The sweep
 * (check_sim_sweep) reaches every endpoint, but this catches the calls no
 * request reaches (error paths, admin, the supervisor's control socket).
 */
#include <check.h>
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"

#define JF_MAXARGS	256

/* One variadic jansson function: where its format sits among the args. */
struct jf_fn {
	const char	*name;
	int		 fmt_arg;	/* 0-based */
	int		 unpack;
};

static const struct jf_fn jf_fns[] = {
	{ "json_pack", 0, 0 },
	{ "json_pack_ex", 2, 0 },
	{ "json_unpack", 1, 1 },
	{ "json_unpack_ex", 3, 1 },
};

struct jf_arg {
	const char	*p;
	size_t		 len;
};

struct jf_report {
	int	calls;
	int	bad;
	char	first[1024];
};

static char *
jf_slurp(const char *path, size_t *lenp)
{
	FILE	*f = fopen(path, "rb");
	char	*buf;
	long	 n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return NULL;
	}
	buf[n] = '\0';
	fclose(f);
	*lenp = (size_t)n;
	return buf;
}

/* Skip a string or char literal starting at s[i] (the quote); returns the
 * index after its closing quote. */
static size_t
jf_skip_literal(const char *s, size_t len, size_t i)
{
	char	q = s[i++];

	while (i < len && s[i] != q) {
		if (s[i] == '\\' && i + 1 < len)
			i++;
		i++;
	}
	return i < len ? i + 1 : len;
}

/* Skip a comment at s[i] if there is one; returns the index after it. */
static size_t
jf_skip_comment(const char *s, size_t len, size_t i)
{
	const char *e;

	if (i + 1 >= len || s[i] != '/')
		return i;
	if (s[i + 1] == '/') {
		e = strchr(s + i, '\n');
		return e ? (size_t)(e - s) : len;
	}
	if (s[i + 1] == '*') {
		e = strstr(s + i + 2, "*/");
		return e ? (size_t)(e - s) + 2 : len;
	}
	return i;
}

/* Split the arguments of the call whose '(' is at s[i]; -1 if unbalanced.
 * *end gets the index after the ')'. */
static int
jf_split_args(const char *s, size_t len, size_t i, struct jf_arg *a,
    size_t *end)
{
	size_t	start = i + 1, j;
	int	depth = 0, n = 0;

	for (i++; i < len; i++) {
		if ((j = jf_skip_comment(s, len, i)) != i) {
			i = j - 1;
			continue;
		}
		if (s[i] == '"' || s[i] == '\'') {
			i = jf_skip_literal(s, len, i) - 1;
			continue;
		}
		if (strchr("([{", s[i]) != NULL)
			depth++;
		else if (strchr("}]", s[i]) != NULL)
			depth--;
		else if (s[i] == ')' && depth-- == 0) {
			if (n == JF_MAXARGS)
				return -1;
			a[n].p = s + start;
			a[n++].len = i - start;
			*end = i + 1;
			return n;
		} else if (s[i] == ',' && depth == 0) {
			if (n == JF_MAXARGS)
				return -1;
			a[n].p = s + start;
			a[n++].len = i - start;
			start = i + 1;
		}
	}
	return -1;
}

/* The concatenated string literals of an argument; -1 if it is anything
 * else (a variable format cannot be checked, so it is refused). */
static int
jf_literal(const struct jf_arg *a, char *out, size_t cap)
{
	size_t	i = 0, o = 0, e;
	int	seen = 0;

	while (i < a->len) {
		if (isspace((unsigned char)a->p[i])) {
			i++;
			continue;
		}
		if (a->p[i] != '"')
			return -1;
		e = jf_skip_literal(a->p, a->len, i);
		for (i++; i + 1 < e && o + 1 < cap; i++)
			out[o++] = a->p[i];
		i = e;
		seen = 1;
	}
	out[o] = '\0';
	return seen ? 0 : -1;
}

/*
 * Count the values a format consumes, or -1 (with why) when it is
 * malformed. Pack: s (+#/% length, + concatenation), b i I f o O one
 * each, n none; ? and * are modifiers. Unpack: s (+% length) b i I f F
 * o O one pointer each, n none; ! and * close an object strictly or not.
 * Object keys are 's' in both and take one argument.
 */
static int
jf_count(const char *f, int unpack, const char **why)
{
	char	stack[64];
	int	sp = 0, n = 0, key[64];

	key[0] = 0;
	for (; *f != '\0'; f++) {
		char c = *f;

		if (isspace((unsigned char)c) || c == ',' || c == ':')
			continue;
		if (c == '{' || c == '[') {
			if (sp > 0 && stack[sp - 1] == '{' && key[sp]) {
				*why = "an object key must be s";
				return -1;
			}
			if (sp == 63) {
				*why = "nested too deep";
				return -1;
			}
			if (sp > 0 && stack[sp - 1] == '{')
				key[sp] = 1;
			stack[sp++] = c;
			key[sp] = 1;	/* an object starts with a key */
			continue;
		}
		if (c == '}' || c == ']') {
			if (sp == 0 || stack[sp - 1] != (c == '}' ? '{' : '[')) {
				*why = "unbalanced brackets";
				return -1;
			}
			if (c == '}' && !key[sp]) {
				*why = "an object key without a value";
				return -1;
			}
			sp--;
			continue;
		}
		if (unpack && (c == '!' || c == '*') && sp > 0 &&
		    stack[sp - 1] == '{')
			continue;
		if (sp > 0 && stack[sp - 1] == '{' && key[sp]) {
			if (c != 's') {
				*why = "an object key must be s";
				return -1;
			}
			n++;
			if (f[1] == '?' && unpack)
				f++;	/* optional key (jansson >= 2.11) */
			key[sp] = 0;
			continue;
		}
		switch (c) {
		case 's':
			n++;
			while (!unpack && (f[1] == '#' || f[1] == '%' ||
			    f[1] == '+')) {
				f++;
				n++;	/* a length, or another string */
				if (*f == '+' && (f[1] == '#' || f[1] == '%')) {
					f++;
					n++;
				}
			}
			if (unpack && f[1] == '%') {
				f++;
				n++;
			}
			break;
		case 'n':
			break;
		case 'b': case 'i': case 'I': case 'f': case 'o': case 'O':
			n++;
			break;
		case 'F':
			if (!unpack) {
				*why = "F is an unpack-only specifier";
				return -1;
			}
			n++;
			break;
		default:
			*why = "unknown specifier";
			return -1;
		}
		if (!unpack && (f[1] == '?' || f[1] == '*'))
			f++;
		if (sp > 0 && stack[sp - 1] == '{')
			key[sp] = 1;
	}
	if (sp != 0) {
		*why = "unbalanced brackets";
		return -1;
	}
	return n;
}

static int
jf_line(const char *s, size_t off)
{
	int	line = 1;
	size_t	i;

	for (i = 0; i < off; i++)
		line += s[i] == '\n';
	return line;
}

static void
jf_bad(struct jf_report *r, const char *path, int line, const char *fn,
    const char *what)
{
	r->bad++;
	if (path[0] != '<')	/* the checker's own cases stay quiet */
		fprintf(stderr, "%s:%d: %s: %s\n", path, line, fn, what);
	if (r->first[0] == '\0')
		snprintf(r->first, sizeof(r->first), "%s:%d: %s: %s", path,
		    line, fn, what);
}

static void
jf_check_call(struct jf_report *r, const char *path, const char *s,
    size_t len, size_t at, const struct jf_fn *fn)
{
	struct jf_arg	 a[JF_MAXARGS];
	char		 fmt[4096], msg[512];
	const char	*why = NULL;
	size_t		 end;
	int		 n, want, line = jf_line(s, at);

	r->calls++;
	if ((n = jf_split_args(s, len, at, a, &end)) < 0) {
		jf_bad(r, path, line, fn->name, "cannot split its arguments");
		return;
	}
	if (n <= fn->fmt_arg || jf_literal(&a[fn->fmt_arg], fmt,
	    sizeof(fmt)) == -1) {
		jf_bad(r, path, line, fn->name, "format is not a string literal");
		return;
	}
	if ((want = jf_count(fmt, fn->unpack, &why)) < 0) {
		snprintf(msg, sizeof(msg), "format \"%.300s\": %s", fmt, why);
		jf_bad(r, path, line, fn->name, msg);
		return;
	}
	if (n - fn->fmt_arg - 1 != want) {
		snprintf(msg, sizeof(msg), "format \"%.300s\" takes %d values, "
		    "the call passes %d", fmt, want, n - fn->fmt_arg - 1);
		jf_bad(r, path, line, fn->name, msg);
	}
}

static int
jf_ident(int c)
{
	return isalnum(c) || c == '_';
}

/* Find every call of a jf_fns[] function in one source text. */
static void
jf_scan_text(struct jf_report *r, const char *path, const char *s,
    size_t len)
{
	size_t	i, j, k, n;

	for (i = 0; i < len; i++) {
		if ((j = jf_skip_comment(s, len, i)) != i) {
			i = j - 1;
			continue;
		}
		if (s[i] == '"' || s[i] == '\'') {
			i = jf_skip_literal(s, len, i) - 1;
			continue;
		}
		if (!jf_ident((unsigned char)s[i]) || (i > 0 &&
		    jf_ident((unsigned char)s[i - 1])))
			continue;
		for (k = 0; k < sizeof(jf_fns) / sizeof(jf_fns[0]); k++) {
			n = strlen(jf_fns[k].name);
			if (strncmp(s + i, jf_fns[k].name, n) != 0 ||
			    jf_ident((unsigned char)s[i + n]))
				continue;
			for (j = i + n; j < len && isspace((unsigned char)s[j]);
			    j++)
				;
			if (j < len && s[j] == '(')
				jf_check_call(r, path, s, len, j, &jf_fns[k]);
			break;
		}
	}
}

static void
jf_scan_dir(struct jf_report *r, const char *dir)
{
	struct dirent	*de;
	DIR		*d;
	char		 path[8192], *s;
	size_t		 len, nl;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		nl = strlen(de->d_name);
		if (nl < 3 || (strcmp(de->d_name + nl - 2, ".c") != 0 &&
		    strcmp(de->d_name + nl - 2, ".h") != 0))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if ((s = jf_slurp(path, &len)) == NULL)
			continue;
		jf_scan_text(r, path, s, len);
		free(s);
	}
	closedir(d);
}

static int
jf_check_text(const char *text, struct jf_report *r)
{
	memset(r, 0, sizeof(*r));
	jf_scan_text(r, "<test>", text, strlen(text));
	return r->bad;
}

/* The checker itself: the premiumIndex bug and its relatives. */
START_TEST(test_checker_catches)
{
	struct jf_report r;

	/* nine pairs, eight values: the SIGSEGV of issue 13 */
	ck_assert_int_eq(jf_check_text("x = json_pack(\"{s:s,s:o,s:o,s:o,"
	    "s:o,s:s,s:I,s:s,s:I}\", \"symbol\", s, \"a\", o1, \"b\", o2, "
	    "\"c\", o3, \"d\", o4, \"e\", \"0.1\", \"f\", (json_int_t)t, "
	    "\"time\", (json_int_t)(m ? a : b(c, d)));", &r), 1);
	ck_assert_ptr_nonnull(strstr(r.first, "takes 18 values, the call "
	    "passes 16"));
	ck_assert_int_eq(jf_check_text("json_pack(\"{s:i, s:s}\", \"code\", "
	    "c, \"msg\", m);", &r), 0);
	ck_assert_int_eq(r.calls, 1);
	ck_assert_int_eq(jf_check_text("json_pack(\"{s:i, s:s}\", \"code\", "
	    "c, \"msg\");", &r), 1);
	ck_assert_int_eq(jf_check_text("json_pack(fmt, a);", &r), 1);
	ck_assert_ptr_nonnull(strstr(r.first, "not a string literal"));
	ck_assert_int_eq(jf_check_text("json_pack(\"{s:i\", \"k\", 1);", &r), 1);
	ck_assert_int_eq(jf_check_text("json_pack(\"{i:i}\", 1, 1);", &r), 1);
	ck_assert_int_eq(jf_check_text("json_pack(\"[s#,o?,n]\", p, n, o);",
	    &r), 0);
	ck_assert_int_eq(jf_check_text("json_unpack(j, \"{s:s, s?:I, s:F !}\","
	    " \"a\", &a, \"b\", &b, \"c\", &c);", &r), 0);
	ck_assert_int_eq(jf_check_text("json_unpack(j, \"{s:s}\", \"a\");",
	    &r), 1);
	ck_assert_int_eq(jf_check_text("json_unpack_ex(j, &e, 0, \"[i,i]\", "
	    "&a, &b);", &r), 0);
	/* comments and strings are not calls */
	ck_assert_int_eq(jf_check_text("/* json_pack(\"{s:s}\") */ "
	    "s = \"json_pack(\\\"{s}\\\")\"; // json_unpack(x)\n", &r), 0);
	ck_assert_int_eq(r.calls, 0);
}
END_TEST

/* Every call in the project's C sources. */
START_TEST(test_sources)
{
	static const char *dirs[] = { "sim", "services", "common",
	    "supervisor", "tools", "fuzz", "bench", "tests/unit",
	    "tests/integration" };
	struct jf_report r;
	char		 d[4096];
	size_t		 i;

	memset(&r, 0, sizeof(r));
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(d, sizeof(d), "%s/%s", PMM_SOURCE_DIR, dirs[i]);
		jf_scan_dir(&r, d);
	}
	/* the scan found the sim's calls at all (not a vacuous pass) */
	ck_assert_int_ge(r.calls, 40);
	ck_assert_msg(r.bad == 0, "%d bad jansson format(s), first: %s",
	    r.bad, r.first);
}
END_TEST

static Suite *
json_fmt_suite(void)
{
	Suite	*s = suite_create("json_fmt");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_checker_catches);
	tcase_add_test(tc, test_sources);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(json_fmt_suite());
}
