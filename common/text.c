/*
 * text.c — printable UTF-8 out of any bytes (see text.h).
 *
 * The decoder follows the Unicode standard's table of well-formed UTF-8
 * (chapter 3, table 3-7): no overlong forms, no surrogates, nothing past
 * U+10FFFF. An ill-formed byte is replaced on its own and decoding goes on
 * at the next byte, so one bad byte costs one character.
 */
#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <string.h>

/* Length of the well-formed sequence at s (1..4), 0 if ill-formed; *cp
 * gets its code point. */
static size_t
text_seq(const unsigned char *s, unsigned *cp)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		*cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		*cp = c & 0x0f;
		if (c == 0xe0)
			lo = 0xa0;	/* overlong */
		else if (c == 0xed)
			hi = 0x9f;	/* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		*cp = c & 0x07;
		if (c == 0xf0)
			lo = 0x90;	/* overlong */
		else if (c == 0xf4)
			hi = 0x8f;	/* past U+10FFFF */
	} else
		return 0;
	for (i = 1; i < n; i++) {
		if (s[i] < lo || s[i] > hi)	/* a NUL ends it here too */
			return 0;
		*cp = (*cp << 6) | (s[i] & 0x3f);
		lo = 0x80;
		hi = 0xbf;
	}
	return n;
}

static int
text_control(unsigned cp, int flags)
{
	if ((cp == '\n' || cp == '\r') && (flags & TEXT_KEEP_NEWLINES))
		return 0;
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0);
}

size_t
text_clean(char *dst, size_t cap, const char *src, int flags)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t out = 0, n;
	unsigned cp;

	if (cap == 0)
		return 0;
	while (*s != '\0') {
		n = text_seq(s, &cp);
		if (n == 0 || text_control(cp, flags)) {
			if (out + 1 >= cap)
				break;
			dst[out++] = TEXT_REPLACEMENT;
			s += n == 0 ? 1 : n;
			continue;
		}
		if (out + n >= cap)
			break;		/* never half a character */
		memmove(dst + out, s, n);	/* out <= read position */
		out += n;
		s += n;
	}
	dst[out] = '\0';
	return out;
}

int
text_is_clean(const char *src, int flags)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t n;
	unsigned cp;

	while (*s != '\0') {
		if ((n = text_seq(s, &cp)) == 0 || text_control(cp, flags))
			return 0;
		s += n;
	}
	return 1;
}

void
text_buf_printf(struct text_buf *b, const char *fmt, ...)
{
	va_list ap;
	size_t want;
	char *np;
	int n;

	if (b->oom)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0,
	    fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = 1;
		return;
	}
	if (b->p != NULL && b->len + (size_t)n < b->cap) {
		b->len += (size_t)n;
		return;
	}
	/* doubling: a page or a scrape is written in a few reallocations */
	want = b->cap ? b->cap : 4096;
	while (want <= b->len + (size_t)n)
		want *= 2;
	if ((np = realloc(b->p, want)) == NULL) {
		b->oom = 1;
		return;
	}
	b->p = np;
	b->cap = want;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
text_buf_free(struct text_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}
