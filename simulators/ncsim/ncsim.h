/* ncsim: many simulated NETCONF devices in one process.
 *
 * Shared types and the prototypes that tie ncsim's files together. ncsim is
 * the device side of weft's NETCONF integration tests and benchmarks (see
 * docs/architecture.md, "Simulators"): it is written from RFC 6241/6243/7950 and the
 * libnetconf2/libyang server APIs only, and includes nothing of core/ or
 * adapters/ (docs/architecture.md, "Walls").
 *
 * Files:
 *   main.c     options, JSON config, start-up and shutdown
 *   server.c   libnetconf2 server: context, SSH/UNIX endpoints, auth,
 *              accept thread, nc_ps_* worker pool, session bookkeeping
 *   tls.c      NETCONF over TLS endpoints: server certificate, client CA,
 *              cert-to-name
 *   rpc.c      RPC dispatcher: counters, log, faults, lock, kill-session,
 *              get-schema, close-session
 *   datastore.c get / get-config / copy-config / delete-config / validate,
 *              commit, confirmed commit, discard-changes, persistence
 *   edit.c     edit-config semantics on libyang trees
 *   filter.c   subtree and XPath filters
 *   control.c  the loopback HTTP control interface (faults, counters, log)
 */
#ifndef NCSIM_H
#define NCSIM_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include <libyang/libyang.h>
#include <nc_server.h> /* defines NC_ENABLED_SSH before the libnetconf2 headers */

#define NCSIM_LOG_SIZE     64 /* RPCs kept per device for the log */
#define NCSIM_MAX_SESSIONS 64 /* concurrent sessions per device */

/* Capability bits a device advertises (and enforces). */
enum {
	CAP_CANDIDATE = 1 << 0,
	CAP_CONFIRMED_COMMIT = 1 << 1,
	CAP_VALIDATE = 1 << 2,
	CAP_ROLLBACK_ON_ERROR = 1 << 3,
	CAP_WRITABLE_RUNNING = 1 << 4,
	CAP_STARTUP = 1 << 5,
	CAP_XPATH = 1 << 6,
};
#define CAPS_CANDIDATE_PROFILE                                                                     \
	(CAP_CANDIDATE | CAP_CONFIRMED_COMMIT | CAP_VALIDATE | CAP_ROLLBACK_ON_ERROR |             \
	 CAP_STARTUP | CAP_XPATH)
#define CAPS_RUNNING_PROFILE                                                                       \
	(CAP_WRITABLE_RUNNING | CAP_ROLLBACK_ON_ERROR | CAP_VALIDATE | CAP_STARTUP | CAP_XPATH)

enum ds_id { DS_RUNNING, DS_CANDIDATE, DS_STARTUP, DS_COUNT };

/* Operations counted per device (index into ncdev.counters). */
enum op_id {
	OP_GET,
	OP_GET_CONFIG,
	OP_EDIT_CONFIG,
	OP_COPY_CONFIG,
	OP_DELETE_CONFIG,
	OP_LOCK,
	OP_UNLOCK,
	OP_CLOSE_SESSION,
	OP_KILL_SESSION,
	OP_COMMIT,
	OP_CANCEL_COMMIT,
	OP_DISCARD_CHANGES,
	OP_VALIDATE,
	OP_GET_SCHEMA,
	OP_OTHER,
	OP_COUNT
};

struct ncsim;

/* One NETCONF session, attached to its nc_session with nc_session_set_data. */
struct ncsess {
	struct ncdev *dev;
	struct nc_session *nc;
	uint32_t id;
	int fd; /* transport socket, -1 if unknown */
};

struct rpc_log_entry {
	uint64_t seq;
	uint32_t session_id;
	char op[32];
	char *xml;       /* the RPC as received (operation element) */
	long long at_ms; /* wall clock, ms since the epoch */
};

/* Fault knobs, set at run time through the control interface. */
struct faults {
	int latency_ms;         /* added before every reply */
	int reject_next_commit; /* one-shot: next commit fails */
	int fail_validation;    /* sticky: validate/commit fail */
	int drop_next_rpc;      /* one-shot: next RPC drops the session */
};

/* Pending confirmed commit (RFC 6241, 8.4). */
struct confirmed {
	int pending;
	struct lyd_node *backup; /* running before the first confirmed commit */
	long long deadline_ms;   /* monotonic */
	uint32_t owner;          /* session that issued it (non-persistent) */
	char *persist;           /* persist token, NULL if none */
};

struct ncdev {
	struct ncsim *sim;
	int index;
	unsigned caps;
	char name[32];        /* "dev<i>" */
	pthread_mutex_t lock; /* protects everything below */
	struct lyd_node *ds[DS_COUNT];
	int candidate_dirty;
	uint32_t locks[DS_COUNT]; /* session id holding each lock, 0 = none */
	struct confirmed cc;
	struct ncsess *sessions[NCSIM_MAX_SESSIONS];
	struct faults faults;
	uint64_t counters[OP_COUNT];
	uint64_t rpc_total;
	struct rpc_log_entry log[NCSIM_LOG_SIZE];
	uint64_t log_seq;  /* seq of the next entry */
	uint64_t log_base; /* entries below were cleared */
	char *state_dir;   /* <state-dir>/dev<i>, NULL without persistence */
};

struct ncsim_opts {
	int devices;
	int ssh_base_port; /* 0 when --unix-dir is used */
	const char *unix_dir;
	const char *address;
	const char *models_dir;
	const char *state_dir;
	const char *config_file;
	const char *host_key; /* PEM/OpenSSH private key file, or NULL */
	const char *authorized_keys;
	const char *auth_users[16]; /* "user:password" */
	int n_auth_users;
	int tls_base_port;                       /* 0: no TLS endpoints */
	const char *tls_cert, *tls_key, *tls_ca; /* PEM files (TLS) */
	const char *control;                     /* "127.0.0.1:PORT" or NULL */
	const char *writable_running;            /* "3,7" */
	int workers;
	int verbose;
};

struct ncsim {
	struct ncsim_opts opts;
	struct ly_ctx *ctx;
	int ndev;
	struct ncdev *devs;
	struct nc_pollsession *ps;
	volatile int stop;
	char *host_key_path;
	char *host_key_fpr; /* "SHA256:..." */
	char *host_key_pub; /* "ssh-ed25519 AAAA..." */
	char *tmp_dir;      /* generated files when no --state-dir */
	int *unix_listen;   /* per-device listening fds (UNIX mode) */
	void *authkeys;     /* ssh_key array (server.c) */
	int n_authkeys;
	pthread_t accept_thread, timer_thread, *worker_threads;
	void *control; /* control.c state */
};

/* server.c */
int server_start(struct ncsim *sim);
void server_stop(struct ncsim *sim);
void sess_drop(struct ncsess *s);
struct ncsess *dev_find_session(struct ncdev *dev, uint32_t id);
int server_session_bind(const struct nc_session *session);

/* tls.c */
int tls_setup(struct ncsim *sim);

/* rpc.c */
struct nc_server_reply *rpc_dispatch(struct lyd_node *rpc, struct nc_session *session);
void rpc_session_ended(struct ncsess *s);
const char *op_name(enum op_id op);
struct nc_server_reply *reply_err(const struct ly_ctx *ctx, NC_ERR tag, const char *msg,
                                  const char *path);
struct nc_server_reply *reply_ly_err(const struct ly_ctx *ctx, NC_ERR deftag, const char *what);

/* datastore.c */
int ds_parse_name(const struct lyd_node *parent, const char *container, enum ds_id *ds,
                  struct lyd_node **inline_config);
struct nc_server_reply *ds_get(struct ncsess *s, struct lyd_node *rpc, int config_only);
struct nc_server_reply *ds_copy_config(struct ncsess *s, struct lyd_node *rpc);
struct nc_server_reply *ds_delete_config(struct ncsess *s, struct lyd_node *rpc);
struct nc_server_reply *ds_validate(struct ncsess *s, struct lyd_node *rpc);
struct nc_server_reply *ds_commit(struct ncsess *s, struct lyd_node *rpc);
struct nc_server_reply *ds_cancel_commit(struct ncsess *s, struct lyd_node *rpc);
struct nc_server_reply *ds_discard(struct ncsess *s);
struct nc_server_reply *ds_validate_tree(struct ncdev *dev, struct lyd_node **tree);
void ds_set(struct ncdev *dev, enum ds_id ds, struct lyd_node *tree);
void ds_rollback_confirmed(struct ncdev *dev, const char *why);
void ds_timer_tick(struct ncsim *sim);
int ds_load(struct ncdev *dev);
void ds_persist(struct ncdev *dev);
int ds_any_to_tree(const struct ly_ctx *ctx, const struct lyd_node *any, struct lyd_node **tree,
                   uint32_t parse_opts);
const char *ds_name(enum ds_id ds);
struct nc_server_reply *ds_config_err(const struct ly_ctx *ctx, const struct lyd_node *any);

/* edit.c */
struct nc_server_reply *edit_config(struct ncsess *s, struct lyd_node *rpc);

/* filter.c */
int filter_apply(const struct ly_ctx *ctx, const struct lyd_node *rpc, struct lyd_node *data,
                 struct lyd_node **out, char *err, size_t errlen);

/* control.c */
int control_start(struct ncsim *sim, const char *spec);
void control_stop(struct ncsim *sim);

/* misc (main.c) */
long long now_mono_ms(void);
long long now_wall_ms(void);
void ncsim_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
