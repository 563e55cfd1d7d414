/* consulsim: the HTTP layer shared by http.c (connections, waiters) and
 * routes.c (the Consul endpoints). */
#ifndef CONSULSIM_HTTP_H
#define CONSULSIM_HTTP_H

#include "consulsim.h"

struct http_hdr {
	const char *name, *value;
};

/* Queue an answer; body is malloc'd and taken (NULL: empty). */
enum MHD_Result http_reply(struct MHD_Connection *conn, int status, char *body, const char *ctype,
                           const struct http_hdr *hdrs, size_t nhdrs);
/* text/plain answer "text\n", as Consul writes its errors. */
enum MHD_Result http_text(struct MHD_Connection *conn, int status, const char *text);
/* JSON answer; v is taken. */
enum MHD_Result http_json(struct MHD_Connection *conn, int status, json_t *v,
                          const struct http_hdr *hdrs, size_t nhdrs);
/* Put r on the waiter list and suspend its connection (MHD thread only,
 * lock held). */
void http_suspend(struct sim *s, struct req *r);
/* Close every pending blocking query without an answer (fault knob). */
void http_drop_waiters(struct sim *s);

/* routes.c: one complete request, lock held. */
enum MHD_Result routes_serve(struct sim *s, struct req *r, struct MHD_Connection *conn,
                             const char *url, const char *method);

#endif
