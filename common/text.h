/*
 * text.h — make text from outside (an operator's pause reason, an
 * exchange's error message) safe to print: valid UTF-8 with no control
 * characters, so it cannot garble a log line, a CSV row or a terminal
 * (escape sequences), and a JSON encoder accepts it.
 */
#ifndef PMM_TEXT_H
#define PMM_TEXT_H

#include <stddef.h>

#define TEXT_REPLACEMENT	'?'
#define TEXT_KEEP_NEWLINES	1	/* keep LF and CR (CSV quotes them) */

/*
 * Copy src into dst (cap bytes, always NUL-terminated): valid UTF-8
 * sequences are kept whole (never cut at cap), every byte of an invalid
 * sequence, C0 control (TAB included), DEL and C1 control (U+0080..U+009F)
 * becomes TEXT_REPLACEMENT; LF and CR too unless flags has
 * TEXT_KEEP_NEWLINES. dst may be src. Returns the length written.
 */
size_t	 text_clean(char *dst, size_t cap, const char *src, int flags);
/* 1 if s is already what text_clean would leave unchanged. */
int	 text_is_clean(const char *s, int flags);

/*
 * A growing text: printf at its end. A failed allocation sets oom and
 * every later call does nothing, so a writer checks once at the end.
 * Zeroed is empty; p is NUL-terminated once anything was written.
 */
struct text_buf {
	char	*p;
	size_t	 len, cap;
	int	 oom;
};
void	 text_buf_printf(struct text_buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	 text_buf_free(struct text_buf *b);

#endif
