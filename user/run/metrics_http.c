// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifndef TS_NO_METRICS_HTTP
#include <microhttpd.h>
#endif
#include "lib/util.h"
#include "run/child.h"
#include "run/metrics_http.h"
#include "write/metrics_writer.h"

/* a scraper or two, not a crowd: requests are small and answered at once */
#define MAX_CONNECTIONS	  16
#define CONN_TIMEOUT_S	  10
#define CONN_MEMORY_LIMIT (32 * 1024) /* a request's headers must fit */
#define CONTENT_TYPE_PROM "text/plain; version=0.0.4; charset=utf-8"

struct ts_metrics_http {
	struct MHD_Daemon *d;
	struct ts_writer *w;
};

static int bad_addr(const char *s)
{
	warn("--metrics %s: give IPV4:PORT or [IPV6]:PORT with a port from 1 to 65535 "
	     "(e.g. 127.0.0.1:9400)\n",
	     s);
	return -EINVAL;
}

int ts_metrics_parse_addr(const char *s, struct sockaddr_storage *sa, socklen_t *len)
{
	const char *colon = strrchr(s, ':');
	char host[INET6_ADDRSTRLEN + 1];
	size_t hl;
	uint64_t port;

	memset(sa, 0, sizeof(*sa));
	if (!colon || ts_parse_uint(colon + 1, 1, 65535, &port))
		return bad_addr(s);
	hl = colon - s;
	if (s[0] == '[') {
		/* [IPV6]:PORT */
		if (hl < 3 || s[hl - 1] != ']' || hl - 2 >= sizeof(host))
			return bad_addr(s);
		memcpy(host, s + 1, hl - 2);
		host[hl - 2] = '\0';
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)sa;

		if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1)
			return bad_addr(s);
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		*len = sizeof(*a6);
		return 0;
	}
	if (!hl || hl >= sizeof(host))
		return bad_addr(s);
	memcpy(host, s, hl);
	host[hl] = '\0';
	struct sockaddr_in *a4 = (struct sockaddr_in *)sa;

	if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
		return bad_addr(s);
	a4->sin_family = AF_INET;
	a4->sin_port = htons(port);
	*len = sizeof(*a4);
	return 0;
}

#ifdef TS_NO_METRICS_HTTP
/* `make static`: no libmicrohttpd (Makefile: its static library needs gnutls and p11-kit) */
int ts_metrics_http_start(const char *addr, struct ts_writer *w, struct ts_metrics_http **out)
{
	*out = NULL;
	warn("--metrics: this static build has no HTTP server; use the dynamically linked "
	     "tracesmith-bpf (libmicrohttpd12)\n");
	return -ENOTSUP;
}

void ts_metrics_http_stop(struct ts_metrics_http *h)
{
}
#else
/* The listening socket, ours: its errors are known exactly, and said. */
static int listen_on(const char *addr, int *fd_out)
{
	struct sockaddr_storage sa;
	socklen_t len;
	int fd, one = 1, err;

	*fd_out = -1;
	err = ts_metrics_parse_addr(addr, &sa, &len);
	if (err)
		return err;
	fd = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		err = -errno;
		warn("--metrics %s: cannot make a socket: %s\n", addr, strerror(-err));
		return err;
	}
	/* a restart binds at once (TIME_WAIT); a live listener on the port still fails */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (sa.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, len) || listen(fd, MAX_CONNECTIONS)) {
		err = -errno;
		if (err == -EADDRINUSE)
			warn("--metrics %s: the port is in use (another exporter, or another "
			     "tracesmith-bpf?); pick another port\n",
			     addr);
		else if (err == -EADDRNOTAVAIL)
			warn("--metrics %s: not an address of this machine\n", addr);
		else
			warn("--metrics %s: cannot listen there: %s\n", addr, strerror(-err));
		close(fd);
		return err;
	}
	*fd_out = fd;
	return 0;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int status, char *body, size_t len,
			     bool owned)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, body,
					    owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (!r) {
		if (owned)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				status == MHD_HTTP_OK ? CONTENT_TYPE_PROM : "text/plain");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, MHD_HTTP_METHOD_GET);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **state)
{
	static char not_found[] = "not found: GET /metrics\n";
	static char not_allowed[] = "method not allowed: GET /metrics\n";
	static char failed[] = "the metrics page could not be made\n";
	struct ts_metrics_http *h = cls;
	char *page;
	size_t len;

	if (strcmp(method, MHD_HTTP_METHOD_GET))
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, not_allowed, strlen(not_allowed),
			     false);
	if (strcmp(url, "/metrics"))
		return reply(c, MHD_HTTP_NOT_FOUND, not_found, strlen(not_found), false);
	if (ts_metrics_render(h->w, &page, &len))
		return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, failed, strlen(failed), false);
	return reply(c, MHD_HTTP_OK, page, len, true);
}

int ts_metrics_http_start(const char *addr, struct ts_writer *w, struct ts_metrics_http **out)
{
	struct ts_metrics_http *h = calloc(1, sizeof(*h));
	sigset_t stop, old;
	unsigned int i;
	int fd = -1, err;

	*out = NULL;
	if (!h)
		return -ENOMEM;
	err = listen_on(addr, &fd);
	if (err)
		goto cleanup;
	h->w = w;
	/* the server's thread never takes the signals that stop the run: the drain loop does */
	sigemptyset(&stop);
	for (i = 0; i < ts_nstop_signals; i++)
		sigaddset(&stop, ts_stop_signals[i]);
	sigaddset(&stop, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &stop, &old);
	h->d = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD, 0, NULL, NULL, on_request, h,
				MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT,
				(unsigned int)MAX_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT,
				(unsigned int)CONN_TIMEOUT_S, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
				(size_t)CONN_MEMORY_LIMIT, MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!h->d) {
		err = -EIO;
		warn("--metrics %s: the HTTP server would not start\n", addr);
		close(fd);
		goto cleanup;
	}
	debug("serving metrics on http://%s/metrics\n", addr);
	*out = h;
	return 0;
cleanup:
	free(h);
	return err;
}

void ts_metrics_http_stop(struct ts_metrics_http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->d); /* joins its thread and closes the listening socket */
	free(h);
}
#endif
