/* consulsim: shared types of the Consul HTTP API simulator.
 *
 * One process, one datacenter, one agent node. The catalog (nodes,
 * services, checks) lives in jansson objects shaped like Consul's own
 * structures, so rendering an answer is mostly copying. Every change takes
 * the next raft-like index; per-service indexes let a blocking query on one
 * service sleep through changes to the others, as Consul does. See
 * docs/consulsim.md for what is simulated and what is not. */
#ifndef CONSULSIM_H
#define CONSULSIM_H

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdint.h>

#define CS_WAIT_DEFAULT_MS (5LL * 60 * 1000)
#define CS_WAIT_MAX_MS     (10LL * 60 * 1000)
#define CS_AGENT_NODE      "consulsim"

/* The catalog. nodes: name -> Node; services: node -> (id -> Service);
 * checks: node -> (check id -> HealthCheck); byname: service name ->
 * ("node\x1fid" -> the same Service object), so a query on one service
 * never scans the others; svcidx: service name -> index of its last change
 * (dropped with its last instance: the services-table index then answers,
 * which is newer than any index a waiter can hold). */
struct catalog {
	json_t *nodes, *services, *checks, *byname, *svcidx;
	uint64_t index;     /* last index handed out (>= 1) */
	uint64_t svc_index; /* last change to the services table */
};

/* One TTL check of the agent (the only check kind the agent runs). */
struct ttl_check {
	char id[256];
	long long ttl_ms, expires_ms;
	struct ttl_check *next;
};

/* Per-request state, owned by the connection (MHD's con_cls). A request
 * that must wait (blocking query, injected latency) is suspended and put on
 * the waiter list; it is resumed by a write that moves its index, by its
 * deadline (ticker thread) or by a fault. */
struct req {
	char *body;
	size_t len, cap;
	int too_big, started, counted;
	int waiting;              /* on the waiter list */
	int wake;                 /* resumed because its index moved or a reset */
	int drop;                 /* close without an answer */
	long long delay_until_ms; /* injected latency not yet served */
	long long deadline_ms;    /* end of the blocking wait */
	uint64_t min_index;
	char watch[320]; /* "services" or "svc:NAME": what the query reads */
	struct MHD_Connection *conn;
	struct req *prev, *next;
};

/* Per-connection state (MHD socket context). */
struct conn {
	char ip[64];
	int over_cap;
};

struct counters {
	long long requests, blocking, blocking_now, rejected_429, dropped;
	long long conns_now, conns_total, conns_peak;
	json_t *by_endpoint; /* "GET /v1/health/service/{name}" -> n */
};

struct sim {
	pthread_mutex_t lock; /* all state below; the MHD thread and the ticker */
	struct catalog cat;
	char dc[64], acl_token[256], host[128], leader[160];
	int port, acl_on, conn_cap;
	struct ttl_check *ttls;
	struct req *waiters; /* doubly linked list */
	long long waiters_n;
	long long next_due_ms; /* no waiter is due before this (a lower bound) */
	json_t *per_ip;        /* ip -> open connections */
	struct counters ctr;
	/* fault knobs (/sim/) */
	long long latency_ms, drop_next;
	int no_leader;
	long long leader_lost_ms;
	struct MHD_Daemon *daemon;
	int stopping;
};

/* util.c */
long long cs_now_ms(void);
/* Go's time.ParseDuration, in milliseconds; -1 when invalid. */
int cs_parse_duration(const char *s, long long *ms);

/* catalog.c */
void catalog_init(struct catalog *c);
void catalog_free(struct catalog *c);
/* Index of what a query named by watch ("services", "svc:NAME") reads. */
uint64_t catalog_watch_index(struct catalog *c, const char *watch);
/* POST/PUT /v1/catalog/register body. Returns 0, or an HTTP status with
 * msg filled (Consul's message). */
int catalog_register(struct catalog *c, json_t *body, const char *dc, char *msg, size_t n);
int catalog_deregister(struct catalog *c, json_t *body, char *msg, size_t n);
/* Sets one check's status and output; bumps indexes when it changed.
 * Returns 0 or -1 when node/check does not exist. */
int catalog_check_update(struct catalog *c, const char *node, const char *check_id,
                         const char *status, const char *output);
/* Indexes go backwards, as after a snapshot restore. */
void catalog_index_reset(struct catalog *c);
json_t *catalog_dump(struct catalog *c);
/* A Service object (no indexes) from a register body's service part. */
json_t *make_service(json_t *sv, const char *id, const char *name);
int catalog_load(struct catalog *c, json_t *d, char *msg, size_t n);
/* Case-insensitive member lookup (Consul decodes JSON like Go: keys match
 * regardless of case). */
json_t *jget(json_t *o, const char *key);
const char *jstr(json_t *o, const char *key);

/* validate.c: field types of register bodies; 0 or 400 with msg naming
 * the field path. */
int validate_catalog_register(json_t *body, char *msg, size_t n);
int validate_agent_service(json_t *body, char *msg, size_t n);

/* read.c: answers of the read endpoints (new references). tags: NULL-
 * terminated, every one required; flt may be NULL. */
struct filter;
json_t *read_catalog_services(struct catalog *c, const struct filter *flt);
json_t *read_catalog_service(struct catalog *c, const char *name, const char *const *tags,
                             const struct filter *flt);
json_t *read_health_service(struct catalog *c, const char *name, const char *const *tags,
                            int passing, const struct filter *flt);

/* filter.c: a subset of go-bexpr (Consul's ?filter=). */
struct filter *filter_compile(const char *expr, const char *const *roots, char *err, size_t n);
int filter_match(const struct filter *f, json_t *entry);
void filter_free(struct filter *f);

/* agent.c: /v1/agent/... ; returns the HTTP status, *out the body. */
int agent_handle(struct sim *s, const char *method, const char *path, json_t *body,
                 const char *note, json_t **out, char *msg, size_t n);
void agent_init(struct sim *s);
/* TTL checks past their deadline go critical; returns how many changed. */
int agent_expire_ttls(struct sim *s, long long now_ms);
void agent_free(struct sim *s);
json_t *agent_dump_ttls(struct sim *s);
void agent_load_ttls(struct sim *s, json_t *a);

/* http.c */
struct MHD_Daemon *http_start(struct sim *s, const char *listen, char *err, size_t n);
/* After a write: resume every waiter whose index moved (all with all=1). */
void http_wake_waiters(struct sim *s, int all);
/* Resume waiters whose deadline or delay passed; called by the ticker. */
void http_tick(struct sim *s);
void http_stop(struct sim *s);

/* simapi.c: /sim/... */
int simapi_handle(struct sim *s, const char *method, const char *path, json_t *body, json_t **out);

#endif
