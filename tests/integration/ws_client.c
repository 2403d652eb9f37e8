/*
 * ws_client.c — a small libwebsockets client for the integration scripts:
 * connect to a ws:// URL, optionally send some text messages, print each
 * text frame received on its own line, and exit once enough frames came.
 *
 *   ws_client [-n frames] [-t timeout_s] [-i send_interval_ms]
 *             [-s message]... [-q] ws://127.0.0.1:PORT/path?query
 *
 * Exit status: 0 when n frames arrived (or, with -n 0, when the timeout
 * ran out with the connection still open), 1 when the server closed the
 * connection first (a line "CLOSED <code>" is printed), 2 on a connection
 * error, 3 on a timeout before n frames. -q prints only the frame count.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libwebsockets.h>

#define MAX_SEND	64

static struct {
	const char	*send[MAX_SEND];
	int		 nsend, sent;
	int		 want;		/* frames to receive, 0 = until timeout */
	int		 got;
	int		 quiet;
	int		 interval_ms;
	int		 done, rc;
	char		*frag;		/* message being reassembled */
	size_t		 fraglen;
	lws_sorted_usec_list_t sul;
	struct lws	*wsi;
	struct lws_context *ctx;
} c;

static void
send_next(lws_sorted_usec_list_t *sul)
{
	(void)sul;
	if (c.wsi != NULL)
		lws_callback_on_writable(c.wsi);
}

static void
on_frame(const char *in, size_t len, int final)
{
	char	*nb;

	if (c.done)
		return;		/* frames already buffered past the count */
	if ((nb = realloc(c.frag, c.fraglen + len + 1)) == NULL)
		exit(4);
	c.frag = nb;
	memcpy(c.frag + c.fraglen, in, len);
	c.fraglen += len;
	if (!final)
		return;
	c.frag[c.fraglen] = '\0';
	if (!c.quiet) {
		fwrite(c.frag, 1, c.fraglen, stdout);
		fputc('\n', stdout);
		fflush(stdout);
	}
	c.fraglen = 0;
	if (++c.got == c.want && c.want > 0) {
		c.done = 1;
		c.rc = 0;
	}
}

static int
callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	unsigned char	*buf;
	size_t		 n;

	(void)user;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		fprintf(stderr, "ws_client: connection error: %s\n",
		    in ? (const char *)in : "?");
		c.done = 1;
		c.rc = 2;
		break;
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		c.wsi = wsi;
		if (c.nsend > 0)
			lws_callback_on_writable(wsi);
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		if (c.sent >= c.nsend)
			break;
		n = strlen(c.send[c.sent]);
		if ((buf = malloc(LWS_PRE + n)) == NULL)
			return -1;
		memcpy(buf + LWS_PRE, c.send[c.sent], n);
		if (lws_write(wsi, buf + LWS_PRE, n, LWS_WRITE_TEXT) < (int)n) {
			free(buf);
			return -1;
		}
		free(buf);
		if (++c.sent < c.nsend)
			lws_sul_schedule(c.ctx, 0, &c.sul, send_next,
			    c.interval_ms * LWS_US_PER_MS);
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		on_frame(in, len, lws_is_final_fragment(wsi));
		break;
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		if (len >= 2) {
			const unsigned char *p = in;

			printf("CLOSED %d\n", p[0] << 8 | p[1]);
		} else
			printf("CLOSED 0\n");
		fflush(stdout);
		break;
	case LWS_CALLBACK_CLIENT_CLOSED:
		c.wsi = NULL;
		if (!c.done) {
			c.done = 1;
			c.rc = 1;
			printf("CLOSED\n");
			fflush(stdout);
		}
		break;
	default:
		break;
	}
	return 0;
}

static const struct lws_protocols protocols[] = {
	{ "ws-client", callback, 0, 65536, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

static void
usage(void)
{
	fprintf(stderr, "usage: ws_client [-n frames] [-t timeout_s] "
	    "[-i send_interval_ms] [-s message]... [-q] ws://host:port/path\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct lws_context_creation_info	 info;
	struct lws_client_connect_info		 ci;
	const char				*proto, *addr, *path;
	char					 url[4096], pathbuf[4096];
	time_t					 deadline;
	int					 ch, port, timeout = 10;

	signal(SIGPIPE, SIG_IGN);
	c.want = 1;
	while ((ch = getopt(argc, argv, "n:t:i:s:q")) != -1) {
		switch (ch) {
		case 'n': c.want = atoi(optarg); break;
		case 't': timeout = atoi(optarg); break;
		case 'i': c.interval_ms = atoi(optarg); break;
		case 's':
			if (c.nsend == MAX_SEND)
				usage();
			c.send[c.nsend++] = optarg;
			break;
		case 'q': c.quiet = 1; break;
		default: usage();
		}
	}
	if (optind != argc - 1)
		usage();
	snprintf(url, sizeof(url), "%s", argv[optind]);
	if (lws_parse_uri(url, &proto, &addr, &port, &path))
		usage();
	snprintf(pathbuf, sizeof(pathbuf), "/%s", path);
	lws_set_log_level(LLL_ERR, NULL);
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	if ((c.ctx = lws_create_context(&info)) == NULL)
		return 2;
	memset(&ci, 0, sizeof(ci));
	ci.context = c.ctx;
	ci.address = addr;
	ci.port = port;
	ci.path = pathbuf;
	ci.host = addr;
	ci.origin = addr;
	ci.protocol = NULL;
	if (lws_client_connect_via_info(&ci) == NULL) {
		fprintf(stderr, "ws_client: cannot connect\n");
		return 2;
	}
	deadline = time(NULL) + timeout;
	c.rc = 3;
	while (!c.done && time(NULL) < deadline)
		lws_service(c.ctx, 100);
	if (!c.done && c.want == 0)
		c.rc = 0;
	if (c.quiet)
		printf("%d\n", c.got);
	c.done = 1;	/* what destroy closes now is our doing */
	lws_context_destroy(c.ctx);
	free(c.frag);
	return c.rc;
}
