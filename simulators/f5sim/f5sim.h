/* f5sim: internal interfaces shared by the simulator's files.
 *
 * f5sim is an HTTPS iControl REST server that behaves like an F5 BIG-IP for
 * the F5 adapter's integration tests and benchmarks (docs/architecture.md, "Simulators").
 * It is written from F5's documented behaviour and includes nothing of weft's
 * core/ or adapters/. Layout:
 *   main.c     command line, TLS material, MHD start, SIGTERM, --state file
 *   tlsgen.c   a self-signed certificate made in memory with OpenSSL
 *   http.c     MHD glue: bodies, faults, auth, dispatch, counting, logging
 *   auth.c     /mgmt/shared/authn/login, tokens, HTTP basic auth
 *   store.c    object tables, device-wide generation, undo log, dump/load
 *   refs.c     reference normalisation, validation and counting
 *   ltm.c      /mgmt/tm/{ltm,sys}/... collections and objects (CRUD)
 *   ltmpool.c  pool members (subcollection) and LTM policy drafts/publish
 *   ltmquery.c response shaping: $select, $filter, expandSubcollections,
 *              and collections assembled from per-object cached text
 *   txn.c      /mgmt/tm/transaction: queueing and all-or-nothing commit
 *   simapi.c   /sim/ fault and inspection API (docs/f5sim.md)
 * One mutex (sim->lock) serialises every request that touches state. */
#ifndef F5SIM_H
#define F5SIM_H

#include <pthread.h>
#include <stddef.h>
#include <jansson.h>

#include "table.h"

#define F5SIM_VER     "15.1.0"
#define F5SIM_LINK    "https://localhost/mgmt/tm/"
#define F5SIM_LOG_MAX 2000

/* Object types that the simulator stores. */
enum otype {
	OT_FOLDER,
	OT_NODE,
	OT_MON_HTTP,
	OT_MON_TCP,
	OT_RULE,
	OT_DATAGROUP,
	OT_CLIENTSSL,
	OT_SERVERSSL,
	OT_POOL,
	OT_POLICY,
	OT_VIRTUAL,
	OT_MEMBER, /* lives inside a pool; no top-level table */
	OT_COUNT
};

struct otype_info {
	const char *path; /* under /mgmt/tm/, e.g. "ltm/pool" */
	const char *kind; /* item kind */
	const char *coll_kind;
	const char *display;  /* in mcpd messages: "Pool", "Virtual Server" */
	const char *refclass; /* reference class: "pool", "monitor", ... */
	const char *defaults; /* JSON object of default properties */
};

const struct otype_info *otype_get(enum otype t);

/* One undo record: the value of (type, pool, key) before a change. */
struct undo_rec {
	enum otype type;
	char *pool; /* owning pool's full path for members, else NULL */
	char *key;
	json_t *old; /* NULL when the object did not exist */
};

struct store {
	struct table tables[OT_COUNT]; /* OT_POOL entries: aux = members table */
	struct table refs;             /* "class|/P/name" -> num = count */
	long long generation;          /* device-wide change counter */
	struct undo_rec *undo;
	size_t nundo, capundo;
	int undo_on;
	long long undo_gen;
};

struct query {
	char select[512];           /* $select, comma separated; "" = all */
	char filter_partition[256]; /* from $filter=partition eq X */
	int expand;                 /* expandSubcollections=true */
	char options[128];          /* options=... */
};

struct log_rec {
	long long seq, time_ms;
	char method[8];
	char path[256];
	int status;
	long long trans_id;
	size_t req_bytes, resp_bytes;
};

struct sim {
	pthread_mutex_t lock;
	char user[128], password[128];
	struct store store;
	struct table tokens; /* token -> obj = token JSON, num = expiry ms */
	struct table txns;   /* id -> aux = struct txn */
	long long next_txn;
	/* faults */
	int latency_ms;
	int fail_next;
	int fail_status;
	int outage; /* 0 none, 1 unregistered, 2 mcpd, 3 restarting */
	long long outage_until_ms;
	int fail_commits; /* the next N successful transaction commits fail */
	/* inspection */
	struct table counters; /* "METHOD pattern" -> num */
	long long total, in_txn;
	struct log_rec log[F5SIM_LOG_MAX];
	long long log_seq;
	long long rest_op_id;
	char *raw_out; /* a handler's pre-rendered answer text (http.c takes it) */
};

/* ---- util (in http.c) ---- */
long long sim_now_ms(void);
/* Wall-clock microseconds since the epoch. */
long long sim_wall_us(void);
/* An iControl error body {code, message, errorStack, apiError}. */
json_t *f5_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* restjavad-style error body {code, message, referer, restOperationId, kind}. */
json_t *f5_rest_error(struct sim *s, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* "/Common/a/b" -> "~Common~a~b" into buf. */
void path_to_tilde(const char *full, char *buf, size_t len);

/* ---- store.c ---- */
void store_init(struct store *st);
void store_free(struct store *st);
void store_reset(struct store *st);
json_t *store_find(struct store *st, enum otype t, const char *pool, const char *key);
struct table *store_members(struct store *st, const char *pool);
/* Inserts or replaces; steals obj; stamps generation, selfLink, kind. */
int store_put(struct store *st, enum otype t, const char *pool, const char *key, json_t *obj);
/* Deletes (a pool with its members). 0, or -1 when missing. */
int store_del(struct store *st, enum otype t, const char *pool, const char *key);
void store_undo_begin(struct store *st);
void store_undo_commit(struct store *st);
void store_undo_rollback(struct store *st);
json_t *store_dump(struct store *st);
int store_load(struct store *st, json_t *dump, char *err, size_t errlen);
/* The selfLink of an object. */
void store_self_link(enum otype t, const char *pool, const char *full, char *buf, size_t len);

/* ---- refs.c ---- */
/* Rewrites bare names into full paths and checks that every reference of
 * obj exists. Returns 0, or an HTTP status with *err set. */
int refs_validate(struct store *st, enum otype t, json_t *obj, json_t **err);
/* Adds (delta +1) or removes (-1) the reference counts of obj. */
void refs_count(struct store *st, enum otype t, json_t *obj, int delta);
/* 0 when (t, full) may be deleted, else an HTTP status with *err set. */
int refs_check_delete(struct store *st, enum otype t, const char *full, json_t **err);
int monitor_is_builtin(const char *full);

/* ---- ltm.c ---- */
/* Handles a request below /mgmt/tm/ (rest = path after "/mgmt/tm/") except
 * transactions. Returns the HTTP status; *out gets the body or NULL. Every
 * change is made under the store's undo log by the caller. */
int ltm_handle(struct sim *s, const char *method, const char *rest, const struct query *q,
               json_t *body, json_t **out);
/* Is rest a path that ltm_handle serves? */
int ltm_known_path(const char *rest);
/* "/mgmt/tm/ltm/pool/{name}/members/{name}" style pattern for counters. */
void ltm_pattern(const char *rest, char *buf, size_t len);
void query_parse(struct query *q, const char *qs);
/* Applies one decoded query argument (k=v) to q. */
void query_add(struct query *q, const char *k, const char *v);

/* ---- ltmquery.c ---- */
json_t *shape_object(struct store *st, enum otype t, json_t *obj, const struct query *q);
json_t *shape_collection(struct store *st, enum otype t, const char *pool, const struct query *q);
/* The same collection answer as compact JSON text, built from per-object
 * cached text (for large collections); NULL when $select is used or out of
 * memory. Caller frees. */
char *render_collection(struct store *st, enum otype t, const char *pool, const struct query *q);
/* The cached compact text of a stored object (made on first use; a pool's
 * leaves out membersReference). NULL when out of memory. */
const char *entry_text(enum otype t, struct tentry *e);

/* ---- txn.c ---- */
void txn_free_all(struct sim *s);
/* Queues a command for transaction id; returns status and *out. */
int txn_queue(struct sim *s, const char *id, const char *method, const char *rest, const char *qs,
              json_t *body, json_t **out);
/* Handles /mgmt/tm/transaction[/...] (rest after "transaction"). */
int txn_handle(struct sim *s, const char *method, const char *rest, json_t *body, json_t **out);

/* ---- auth.c ---- */
int auth_login(struct sim *s, json_t *body, const char *peer, json_t **out);
/* 0 when the request is authenticated, else 401 with *out. */
int auth_check(struct sim *s, const char *token, const char *authz, const char *url, json_t **out);
/* Handles /mgmt/shared/authz/tokens[/TOKEN]. */
int auth_tokens(struct sim *s, const char *method, const char *rest, json_t *body, json_t **out);
void auth_expire_all(struct sim *s);

/* ---- simapi.c ---- */
int simapi_handle(struct sim *s, const char *method, const char *path, json_t *body, json_t **out);
void sim_count(struct sim *s, const char *method, const char *pattern, long long trans_id,
               const char *path, int status, size_t req_bytes, size_t resp_bytes);

/* ---- tlsgen.c ---- */
/* A self-signed EC certificate for localhost/127.0.0.1 as PEM strings
 * (caller frees both). 0, or -1 with err set. */
int tlsgen_self_signed(char **cert_pem, char **key_pem, char *err, size_t errlen);

/* ---- http.c ---- */
struct MHD_Daemon;
struct MHD_Daemon *http_start(struct sim *s, const char *listen, const char *cert, const char *key,
                              int plain, char *err, size_t errlen);

#endif
