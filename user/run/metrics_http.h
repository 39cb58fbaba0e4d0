/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --metrics ADDR:PORT: the HTTP server (libmicrohttpd, in its own thread)
 * that answers GET /metrics with the metrics writer's page, and nothing else:
 * no files, no other paths (404), no other methods (405).
 */
#ifndef TS_METRICS_HTTP_H
#define TS_METRICS_HTTP_H

#include <sys/socket.h>
#include "write/writer.h"

struct ts_metrics_http;

/* IPV4:PORT or [IPV6]:PORT, numbers only, port 1-65535: 0 or -EINVAL (said, with what to give). */
int ts_metrics_parse_addr(const char *s, struct sockaddr_storage *sa, socklen_t *len);
/*
 * Bind addr (a clear message when it is in use or not this machine's) and
 * serve w's page from a thread of our own. 0 or -errno.
 */
int ts_metrics_http_start(const char *addr, struct ts_writer *w, struct ts_metrics_http **out);
/* Stop serving: no request reads the writer after this returns. NULL-safe. */
void ts_metrics_http_stop(struct ts_metrics_http *h);

#endif
