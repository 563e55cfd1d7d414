/* Internal types and functions of the netconf adapter (not public: the core
 * only sees ncdev_adapter.h). The adapter is split by phase:
 *   ncdev_yang.c     the model context (weft-lb + ietf-netconf), shared and
 *                    read-only once built; the YANG directory
 *   ncdev_render.c   snapshot + Device -> weft-lb data tree (pure)
 *   ncdev_render_vs.c  gateways -> virtual services, TLS, ACLs, rate limits
 *   ncdev_diff.c     lyd_diff -> edit-config content with nc:operation,
 *                    and the printable plan
 *   ncdev_conn.c     Device connection settings, SSH (pinned host key,
 *                    password or key auth), NETCONF session, reconnect
 *   ncdev_tls.c      NETCONF over TLS: TCP + OpenSSL handshake (CA,
 *                    client certificate), handed to libnetconf2
 *   ncdev_rpc.c      one RPC round trip with timeout, rpc-error decoding
 *   ncdev_adapter.c  the contract: open/close/observe/prepare/apply/
 *                    confirm/abort, the commit state machine
 * See docs/adapter-netconf.md for the mapping and the phases. */
#ifndef WEFT_NCDEV_H
#define WEFT_NCDEV_H

#include <stdint.h>

#include <libyang/libyang.h>
#include <nc_client.h>

#include "adapter.h"
#include "diag.h"
#include "policy-t.h"
#include "resource-t.h"

/* ---- model context (ncdev_yang.c) ---- */

/* The process-wide context holding weft-lb and ietf-netconf (for the
 * nc:operation annotation). Built once on first use, never modified
 * afterwards, so any thread may parse, validate and diff with it. NULL with
 * err when the modules cannot be loaded. */
const struct ly_ctx *ncdev_model_ctx(weft_err *err);
/* The weft-lb module of the model context (after ncdev_model_ctx). */
const struct lys_module *ncdev_model_module(void);
/* A new, private context for one NETCONF session (libnetconf2 adds the
 * modules the server announces to it). NULL with err. */
struct ly_ctx *ncdev_session_ctx_new(weft_err *err);
/* A pool of idle session contexts, at most max (one per device). */
struct ncdev_ctx_pool;
struct ncdev_ctx_pool *ncdev_ctx_pool_new(size_t max);
/* Destroys every pooled context and the pool; p may be NULL. */
void ncdev_ctx_pool_free(struct ncdev_ctx_pool *p);
/* Destroys every pooled context (tests, leak checks); p may be NULL. */
void ncdev_ctx_pool_clear(struct ncdev_ctx_pool *p);
size_t ncdev_ctx_pool_count(struct ncdev_ctx_pool *p);
/* A context for a new session to device key: the one a previous session
 * to that device left in pool p (*caps_hash: the hash of the capabilities
 * it was filled from), else a new one (*caps_hash 0; always so when p is
 * NULL). The caller owns it until ncdev_session_ctx_release. NULL with
 * err. */
struct ly_ctx *ncdev_session_ctx_acquire(struct ncdev_ctx_pool *p, const char *key,
                                         uint64_t *caps_hash, weft_err *err);
/* Gives a session's context back to pool p (or destroys it when p is NULL,
 * full, or the device already has one there). ctx may be NULL. */
void ncdev_session_ctx_release(struct ncdev_ctx_pool *p, const char *key, uint64_t caps_hash,
                               struct ly_ctx *ctx);
/* Last libyang error of ctx in this thread as "message (path)". */
void ncdev_ly_error(const struct ly_ctx *ctx, char *buf, size_t len);

/* ---- configs (desired / actual) ---- */

/* What render and observe return: a weft-lb data tree in the model
 * context (NULL tree: nothing), with implicit defaults added. */
struct ncdev_config {
	struct lyd_node *tree;
	weft_warnings warnings; /* render's: what weft-lb cannot express */
};
void ncdev_config_free(void *config);
/* The XML of a get-config reply's data (running, filtered to weft-lb; NULL
 * or "" for none) -> a tree in the model context with defaults added, as
 * observe reads it (ncdev_adapter.c). 0, or -1 with err naming device key
 * and libyang's message. Any bytes are safe here. */
int ncdev_config_parse(const char *key, const char *xml, struct lyd_node **out, weft_err *err);

/* ---- render (ncdev_render.c, ncdev_render_vs.c) ---- */

int ncdev_render(const weft_snapshot *snap, const weft_resource *dev, void **desired,
                 weft_err *err);

/* ---- diff (ncdev_diff.c) ---- */

/* What diff stages for prepare/apply/abort (weft_plan.priv). */
struct ncdev_plan {
	char *edit;    /* the <lb> content of the edit-config (nc:operation) */
	char *inverse; /* the edit that undoes it (running-only abort) */
	enum {
		NCDEV_STAGE_NONE,
		NCDEV_STAGE_PREPARED,
		NCDEV_STAGE_APPLIED,
		NCDEV_STAGE_CONFIRMED
	} stage;
	int mode;            /* enum ncdev_mode, decided at prepare */
	char persist_id[40]; /* confirmed commit with persist ("" without) */
};
int ncdev_diff(const weft_resource *dev, const void *desired, const void *actual, weft_plan *plan,
               weft_err *err);

/* ---- connection (ncdev_conn.c) ---- */

enum {
	NCDEV_CAP_CANDIDATE = 1 << 0,
	NCDEV_CAP_CONFIRMED = 1 << 1, /* :confirmed-commit:1.1 */
	NCDEV_CAP_VALIDATE = 1 << 2,  /* :validate:1.1 or 1.0 */
	NCDEV_CAP_ROLLBACK = 1 << 3,  /* :rollback-on-error */
	NCDEV_CAP_RUNNING = 1 << 4,   /* :writable-running */
	/* yuma123 netconfd (announces netconfcentral.org yuma modules): a
	 * <validate> of the candidate makes its next commit a silent no-op
	 * (2.13-1, Debian 12), so prepare skips it there; commit validates. */
	NCDEV_QUIRK_YUMA = 1 << 8,
};

/* How a device commits (options.commit, or discovered when unset). */
enum ncdev_mode { NCDEV_MODE_CONFIRMED, NCDEV_MODE_CANDIDATE, NCDEV_MODE_RUNNING };

struct ncdev_conn {
	char key[300]; /* "ns/name", for messages */
	char address[256];
	int port;
	char username[128];
	char cred_file[1024]; /* one of cred_file, cred_env */
	char cred_env[128];
	char host_key[128]; /* "SHA256:..." (SSH) */
	int tls;            /* connection.tls present: NETCONF over TLS */
	char ca_file[1024]; /* TLS: connection.tls.caFile */
	int timeout_ms;
	weft_commit_mode commit;
	long long confirm_timeout_ms;
};

struct ncdev_session {
	struct ncdev_conn conn;
	struct nc_session *nc;       /* NULL: not connected */
	struct ly_ctx *ctx;          /* the session's own context (from the pool) */
	struct ncdev_ctx_pool *pool; /* the instance's pool; NULL: none */
	uint64_t ctx_caps;           /* hash of the capabilities ctx was filled from
	                              * (0: not filled; not pooled at disconnect) */
	int fresh_ctx;               /* connect with a new context, not a pooled one */
	unsigned caps;
	uint32_t sid;
	int connects;        /* successful connects so far */
	int failures;        /* consecutive failed connects */
	int64_t retry_at_ms; /* no connect attempt before (backoff) */
	int broken;          /* a transport error happened: reconnect first */
	/* Commit state of the plan in flight. */
	int locked; /* datastore locked: NC_DATASTORE_* or 0 */
};

/* Reads the Device's connection/options into c. */
int ncdev_conn_parse(const weft_resource *dev, struct ncdev_conn *c, weft_err *err);
/* Connects (SSH, host key check, auth, NETCONF hello, capabilities). A
 * connect during the backoff window fails at once. */
int ncdev_connect(struct ncdev_session *s, weft_err *err);
/* Connects when there is no live session (dead, broken, never opened). */
int ncdev_ensure(struct ncdev_session *s, weft_err *err);
void ncdev_disconnect(struct ncdev_session *s);
/* The commit mode for the session's capabilities, or -1 with err when the
 * device lacks what options.commit asks for. */
int ncdev_mode(const struct ncdev_session *s, enum ncdev_mode *mode, weft_err *err);
int64_t ncdev_now_ms(void);

/* ---- TLS (ncdev_tls.c) ---- */

/* TCP connect and TLS handshake to c (CA c->ca_file, client certificate and
 * key from the PEM file c->cred_file, the device's certificate checked
 * against c->address), within c->timeout_ms. The finished session (its
 * socket non-blocking) or NULL with err; authentication failures say
 * "TLS authentication failed". */
SSL *ncdev_tls_open(const struct ncdev_conn *c, weft_err *err);

/* ---- RPCs (ncdev_rpc.c) ---- */

/* Sends rpc (consumed) and waits for the reply within the device timeout.
 * what names the operation for messages ("lock candidate"). On <ok/> or
 * data returns 0 (*data gets the reply's data tree when data != NULL); on
 * rpc-error returns -1 with err "device K: WHAT: tag: message (path ...)"
 * (a lock-denied names the holder's session id); on a transport error
 * marks the session broken. */
int ncdev_rpc(struct ncdev_session *s, struct nc_rpc *rpc, const char *what, struct lyd_node **data,
              weft_err *err);

#endif
