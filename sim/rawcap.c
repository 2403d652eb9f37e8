/*
 * rawcap.c — the exact bytes of each HTTP request line, for signatures.
 *
 * Binance signs the query string exactly as it was sent, but
 * libwebsockets %-decodes the URI before the application sees it, and the
 * same decoded text has many encodings ("%42" and "B", "%20" and "+"). To
 * verify a signature over the bytes as sent, this file interposes recv(2)
 * — the call libwebsockets reads its sockets with — and keeps, per socket,
 * the bytes not yet matched to a request. When a request arrives, rest.c
 * asks for its request line and gets the raw query string.
 *
 * recv() has no context argument, so the capture state is one file-static
 * struct: the process's only global besides main.c's, and it is touched
 * only from the event loop's thread.
 */
#include "wire.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define RAWCAP_FDS	4096
#define RAWCAP_MAX	(WIRE_MAX_BODY + 64 * 1024)

struct capbuf {
	char	*data;
	size_t	 len, cap;
	int	 off;		/* 1: stop keeping bytes (a WebSocket) */
};

static struct {
	struct capbuf	fd[RAWCAP_FDS];
} rawcap;

static void
cap_keep(int fd, const void *p, size_t n)
{
	struct capbuf	*c;
	char		*nd;

	if (fd < 0 || fd >= RAWCAP_FDS || n == 0)
		return;
	c = &rawcap.fd[fd];
	if (c->off)
		return;
	if (c->len + n > RAWCAP_MAX) {
		c->len = 0;	/* too much unmatched: give up on this lot */
		if (n > RAWCAP_MAX)
			return;
	}
	if (c->len + n > c->cap) {
		size_t cap = (c->len + n) * 2;

		if ((nd = realloc(c->data, cap)) == NULL)
			return;
		c->data = nd;
		c->cap = cap;
	}
	memcpy(c->data + c->len, p, n);
	c->len += n;
}

/* The interposed recv(2): the real call, then a copy of what it read. */
ssize_t
recv(int fd, void *buf, size_t len, int flags)
{
	ssize_t	n = syscall(SYS_recvfrom, fd, buf, len, flags, NULL, NULL);

	if (n > 0 && !(flags & MSG_PEEK))
		cap_keep(fd, buf, (size_t)n);
	return n;
}

void
rawcap_reset(int fd)
{
	if (fd < 0 || fd >= RAWCAP_FDS)
		return;
	free(rawcap.fd[fd].data);
	memset(&rawcap.fd[fd], 0, sizeof(rawcap.fd[fd]));
}

void
rawcap_stop(int fd)
{
	rawcap_reset(fd);
	if (fd >= 0 && fd < RAWCAP_FDS)
		rawcap.fd[fd].off = 1;
}

/* Offset just past the blank line that ends the header block starting at
 * from (or past what there is when it has not all arrived). */
static size_t
head_end(const struct capbuf *c, size_t from)
{
	size_t	i;

	for (i = from; i < c->len; i++) {
		if (c->data[i] != '\n')
			continue;
		if (i == from || (i == from + 1 && c->data[from] == '\r'))
			return i + 1;		/* no headers at all */
		if (c->data[i - 1] == '\n' || (c->data[i - 1] == '\r' &&
		    i >= 2 && c->data[i - 2] == '\n'))
			return i + 1;
	}
	return c->len;
}

void
rawcap_skip(int fd, size_t n)
{
	struct capbuf *c;

	if (fd < 0 || fd >= RAWCAP_FDS)
		return;
	c = &rawcap.fd[fd];
	if (n > c->len)
		n = c->len;
	memmove(c->data, c->data + n, c->len - n);
	c->len -= n;
}

/* Does the raw path (%-encoded) decode to the path lws gave us? */
static int
path_matches(const char *raw, size_t n, const char *path)
{
	size_t	i;
	int	hi, lo;

	for (i = 0; i < n; i++, path++) {
		char c = raw[i];

		if (c == '%' && i + 2 < n && isxdigit((unsigned char)raw[i + 1]) &&
		    isxdigit((unsigned char)raw[i + 2])) {
			hi = isdigit((unsigned char)raw[i + 1]) ? raw[i + 1] - '0' :
			    tolower((unsigned char)raw[i + 1]) - 'a' + 10;
			lo = isdigit((unsigned char)raw[i + 2]) ? raw[i + 2] - '0' :
			    tolower((unsigned char)raw[i + 2]) - 'a' + 10;
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		if (c != *path)
			return 0;
	}
	return *path == '\0';
}

/*
 * Find the request line "<method> <path>[?query] HTTP/..." of the request
 * lws is handing us, drop every byte up to the end of its header block
 * (lws has parsed it all by now), and return a copy of the raw query (""
 * when none), or NULL when it cannot be found. The body that follows is
 * dropped by rawcap_skip() once lws has delivered it, so the next request
 * line on the connection starts the buffer.
 */
char *
rawcap_query(int fd, const char *method, const char *path)
{
	struct capbuf	*c;
	size_t		 ml = strlen(method), i, end, sp, q;
	char		*out;

	if (fd < 0 || fd >= RAWCAP_FDS)
		return NULL;
	c = &rawcap.fd[fd];
	for (i = 0; i + ml + 1 < c->len; i++) {
		if ((i > 0 && c->data[i - 1] != '\n') ||
		    memcmp(c->data + i, method, ml) != 0 || c->data[i + ml] != ' ')
			continue;
		for (end = i; end < c->len && c->data[end] != '\n'; end++)
			;
		if (end == c->len)
			return NULL;	/* line not complete yet */
		for (sp = i + ml + 1; sp < end && c->data[sp] != ' '; sp++)
			;
		for (q = i + ml + 1; q < sp && c->data[q] != '?'; q++)
			;
		if (!path_matches(c->data + i + ml + 1, q - (i + ml + 1), path))
			continue;
		out = q < sp ? strndup(c->data + q + 1, sp - q - 1) :
		    strdup("");
		end = head_end(c, end + 1);
		memmove(c->data, c->data + end, c->len - end);
		c->len -= end;
		return out;
	}
	return NULL;
}
