/* The netconf adapter's connection to one device: the Device resource's
 * connection settings, SSH with a pinned host key, password or private-key
 * authentication (or TLS when connection.tls is present: ncdev_tls.c), the
 * NETCONF session and its capabilities, and reconnects.
 *
 * Why weft opens the SSH session itself (libssh) and hands it to
 * nc_connect_libssh() already authenticated: libnetconf2 2.0.24 keeps its
 * SSH client options (host-key callback, username, keys) per thread and
 * connects with a fixed timeout, and its key auth needs a .pub file next to
 * the private key. Doing SSH here gives per-device timeouts, key auth from
 * the private key alone, one clear error per failure, and nothing shared
 * between device worker threads. The host-key check is one callback,
 * ncdev_hostkey_check(), called by us right after the key exchange and also
 * installed as libnetconf2's host-key callback of the calling thread, so
 * that libnetconf2 can never fall back to asking on /dev/tty.
 *
 * Credentials (never logged, wiped after use): credentials.file or .env
 * holds either a password (the first line) or an OpenSSH/PEM private key
 * (text starting with "-----BEGIN"). The host key must be pinned
 * (connection.hostKey, "SHA256:<base64>" as `ssh-keygen -lf` prints it).
 *
 * Dead sessions: TCP keepalive on the socket (idle 30 s, 3 probes 10 s
 * apart) turns a silently dead peer into an error; any transport error or
 * timeout marks the session broken, and ncdev_ensure() reconnects with
 * backoff (3 tries, 250 ms doubling) before the next operation. Longer
 * outages are retried by the core's per-device backoff. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "ncdev.h"
#include "resource.h"

#define DEFAULT_TIMEOUT_MS 30000
#define RECONNECT_TRIES    3
#define RECONNECT_BASE_MS  250

static __thread char nc_last_error[512];

int64_t ncdev_now_ms(void)
{
	return weft_mono_ms();
}

/* libnetconf2 messages go to the calling thread's buffer, not stderr. */
static void nc_print(const struct nc_session *session, NC_VERB_LEVEL level, const char *msg)
{
	(void)session;
	if (level == NC_VERB_ERROR)
		snprintf(nc_last_error, sizeof(nc_last_error), "%s", msg);
}

static pthread_once_t client_once = PTHREAD_ONCE_INIT;

static void client_init(void)
{
	nc_client_init();
	nc_verbosity(NC_VERB_ERROR);
	nc_set_print_clb_session(nc_print);
}

/* connection.tls on a netconf Device: NETCONF over TLS (see ncdev_tls.c
 * for the conventions). */
static int tls_parse(const weft_connection *cn, struct ncdev_conn *c, weft_err *err)
{
	if (cn->tls->insecure)
		return weft_err_set(err,
		                    "device %s: spec.connection.tls.insecure is not supported for "
		                    "netconf: the device's certificate is always verified",
		                    c->key);
	if (!cn->tls->ca_file)
		return weft_err_set(err,
		                    "device %s: spec.connection.tls.caFile is required for "
		                    "NETCONF over TLS",
		                    c->key);
	if (!cn->credentials->file)
		return weft_err_set(err,
		                    "device %s: NETCONF over TLS needs "
		                    "spec.connection.credentials.file: one PEM file with the "
		                    "client certificate and its private key",
		                    c->key);
	c->tls = 1;
	snprintf(c->ca_file, sizeof(c->ca_file), "%s", cn->tls->ca_file);
	return 0;
}

int ncdev_conn_parse(const weft_resource *dev, struct ncdev_conn *c, weft_err *err)
{
	const weft_device_spec *d = dev->spec;
	const weft_connection *cn = d ? d->connection : NULL;
	memset(c, 0, sizeof(*c));
	snprintf(c->key, sizeof(c->key), "%s/%s", dev->ns, dev->name);
	if (!cn || !cn->address)
		return weft_err_set(err, "device %s: spec.connection.address is required", c->key);
	if (!cn->credentials)
		return weft_err_set(err, "device %s: spec.connection.credentials is required",
		                    c->key);
	snprintf(c->address, sizeof(c->address), "%s", cn->address);
	c->port = cn->port ? cn->port : cn->tls ? 6513 : 830;
	snprintf(c->username, sizeof(c->username), "%s", cn->username ? cn->username : "weft");
	if (cn->credentials->file)
		snprintf(c->cred_file, sizeof(c->cred_file), "%s", cn->credentials->file);
	if (cn->credentials->env)
		snprintf(c->cred_env, sizeof(c->cred_env), "%s", cn->credentials->env);
	if (cn->tls && tls_parse(cn, c, err))
		return -1;
	if (!cn->tls && !cn->host_key)
		return weft_err_set(
		        err,
		        "device %s: spec.connection.hostKey is required (the SSH host key "
		        "fingerprint, SHA256:..., as `ssh-keygen -lf` prints it)",
		        c->key);
	if (cn->host_key)
		snprintf(c->host_key, sizeof(c->host_key), "%s", cn->host_key);
	c->timeout_ms = cn->timeout_ms > 0 && cn->timeout_ms < 3600000 ? (int)cn->timeout_ms
	                                                               : DEFAULT_TIMEOUT_MS;
	c->commit = d->options ? d->options->commit : WEFT_COMMIT_UNSET;
	c->confirm_timeout_ms = d->options ? d->options->confirm_timeout_ms : 0;
	return 0;
}

/* The host-key check: the server key's SHA256 fingerprint must equal the
 * pinned one. priv is the ncdev_session. 0 when it matches. */
static int ncdev_hostkey_check(const char *hostname, ssh_session ssh, void *priv)
{
	struct ncdev_session *s = priv;
	(void)hostname;
	ssh_key key = NULL;
	unsigned char *hash = NULL;
	size_t hlen = 0;
	char *fp = NULL;
	if (ssh_get_server_publickey(ssh, &key) == SSH_OK &&
	    ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hlen) == 0)
		fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hlen);
	int ok = fp && !strcmp(fp, s->conn.host_key);
	snprintf(nc_last_error, sizeof(nc_last_error),
	         "host key mismatch: the device presents %s, the policy pins %s",
	         fp ? fp : "(unreadable key)", s->conn.host_key);
	ssh_string_free_char(fp);
	ssh_clean_pubkey_hash(&hash);
	ssh_key_free(key);
	return ok ? 0 : -1;
}

/* Reads the secret (file or env) into a malloc'd buffer. */
static char *read_secret(const struct ncdev_conn *c, weft_err *err)
{
	if (c->cred_env[0]) {
		const char *v = getenv(c->cred_env);
		if (!v || !*v) {
			weft_err_set(err,
			             "device %s: credentials: environment variable %s is not set",
			             c->key, c->cred_env);
			return NULL;
		}
		return strdup(v);
	}
	FILE *f = fopen(c->cred_file, "r");
	if (!f) {
		weft_err_set(err, "device %s: credentials: cannot read %s: %s", c->key,
		             c->cred_file, strerror(errno));
		return NULL;
	}
	char *buf = calloc(1, 65536);
	size_t n = buf ? fread(buf, 1, 65535, f) : 0;
	fclose(f);
	if (buf && n == 0) {
		free(buf);
		buf = NULL;
		weft_err_set(err, "device %s: credentials: %s is empty", c->key, c->cred_file);
	}
	return buf;
}

static void wipe_free(char *secret)
{
	if (secret) {
		explicit_bzero(secret, strlen(secret));
		free(secret);
	}
}

static int ssh_authenticate(struct ncdev_session *s, ssh_session ssh, weft_err *err)
{
	char *secret = read_secret(&s->conn, err);
	if (!secret)
		return -1;
	int rc;
	const char *how;
	if (!strncmp(secret, "-----BEGIN", 10)) {
		ssh_key key = NULL;
		how = "public key";
		rc = ssh_pki_import_privkey_base64(secret, NULL, NULL, NULL, &key) == SSH_OK
		             ? ssh_userauth_publickey(ssh, NULL, key)
		             : SSH_AUTH_ERROR;
		ssh_key_free(key);
	} else {
		how = "password";
		secret[strcspn(secret, "\r\n")] = 0;
		rc = ssh_userauth_password(ssh, NULL, secret);
	}
	wipe_free(secret);
	if (rc != SSH_AUTH_SUCCESS)
		return weft_err_set(err, "device %s: SSH %s authentication of user %s failed: %s",
		                    s->conn.key, how, s->conn.username, ssh_get_error(ssh));
	return 0;
}

static void set_keepalive(ssh_session ssh)
{
	int fd = ssh_get_fd(ssh), on = 1, idle = 30, intvl = 10, cnt = 3;
	if (fd < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
}

/* SSH up to an authenticated session, or NULL with err. */
static ssh_session ssh_open(struct ncdev_session *s, weft_err *err)
{
	ssh_session ssh = ssh_new();
	if (!ssh) {
		weft_err_set(err, "device %s: out of memory", s->conn.key);
		return NULL;
	}
	unsigned int port = (unsigned int)s->conn.port;
	long sec = s->conn.timeout_ms / 1000, usec = (s->conn.timeout_ms % 1000) * 1000L;
	int no = 0, yes = 1;
	ssh_options_set(ssh, SSH_OPTIONS_HOST, s->conn.address);
	ssh_options_set(ssh, SSH_OPTIONS_PORT, &port);
	ssh_options_set(ssh, SSH_OPTIONS_USER, s->conn.username);
	ssh_options_set(ssh, SSH_OPTIONS_TIMEOUT, &sec);
	ssh_options_set(ssh, SSH_OPTIONS_TIMEOUT_USEC, &usec);
	ssh_options_set(ssh, SSH_OPTIONS_PROCESS_CONFIG, &no);
	/* Small RPCs: without TCP_NODELAY, Nagle + delayed ACKs cost ~40 ms
	 * per round trip. */
	ssh_options_set(ssh, SSH_OPTIONS_NODELAY, &yes);
	if (ssh_connect(ssh) != SSH_OK) {
		weft_err_set(err, "device %s: SSH connect to %s:%d failed: %s", s->conn.key,
		             s->conn.address, s->conn.port, ssh_get_error(ssh));
		ssh_free(ssh);
		return NULL;
	}
	if (ncdev_hostkey_check(s->conn.address, ssh, s)) {
		weft_err_set(err, "device %s: %s:%d: %s", s->conn.key, s->conn.address,
		             s->conn.port, nc_last_error);
		ssh_disconnect(ssh);
		ssh_free(ssh);
		return NULL;
	}
	if (ssh_authenticate(s, ssh, err)) {
		ssh_disconnect(ssh);
		ssh_free(ssh);
		return NULL;
	}
	set_keepalive(ssh);
	return ssh;
}

static int has_cap(struct nc_session *nc, const char *uri)
{
	const char *const *caps = nc_session_get_cpblts(nc);
	size_t n = strlen(uri);
	for (size_t i = 0; caps && caps[i]; i++)
		if (!strncmp(caps[i], uri, n) && (caps[i][n] == 0 || caps[i][n] == '?'))
			return 1;
	return 0;
}

#define CAP(x) "urn:ietf:params:netconf:capability:" x

static unsigned discover(struct nc_session *nc)
{
	unsigned caps = 0;
	if (has_cap(nc, CAP("candidate:1.0")))
		caps |= NCDEV_CAP_CANDIDATE;
	if (has_cap(nc, CAP("confirmed-commit:1.1")))
		caps |= NCDEV_CAP_CONFIRMED;
	if (has_cap(nc, CAP("validate:1.1")) || has_cap(nc, CAP("validate:1.0")))
		caps |= NCDEV_CAP_VALIDATE;
	if (has_cap(nc, CAP("rollback-on-error:1.0")))
		caps |= NCDEV_CAP_ROLLBACK;
	if (has_cap(nc, CAP("writable-running:1.0")))
		caps |= NCDEV_CAP_RUNNING;
	const char *const *all = nc_session_get_cpblts(nc);
	for (size_t i = 0; all && all[i]; i++)
		if (strstr(all[i], "netconfcentral.org/ns/yuma"))
			caps |= NCDEV_QUIRK_YUMA;
	return caps;
}

/* SSH, then the NETCONF hello: s->ctx set, s->nc set or NULL. */
static int ssh_session_open(struct ncdev_session *s, weft_err *err)
{
	ssh_session ssh = ssh_open(s, err);
	if (!ssh)
		return -1;
	s->ctx = s->fresh_ctx ? ncdev_session_ctx_new(err)
	                      : ncdev_session_ctx_acquire(s->pool, s->conn.key, &s->ctx_caps, err);
	if (!s->ctx) {
		ssh_disconnect(ssh);
		ssh_free(ssh);
		return -1;
	}
	/* This thread's libnetconf2 host-key callback: ours, never /dev/tty. */
	nc_client_ssh_set_auth_hostkey_check_clb(ncdev_hostkey_check, s);
	s->nc = nc_connect_libssh(ssh, s->ctx); /* owns ssh from here, even on failure */
	return 0;
}

/* TLS, then the NETCONF hello: s->ctx set, s->nc set or NULL. */
static int tls_session_open(struct ncdev_session *s, weft_err *err)
{
	SSL *ssl = ncdev_tls_open(&s->conn, err);
	if (!ssl)
		return -1;
	s->ctx = s->fresh_ctx ? ncdev_session_ctx_new(err)
	                      : ncdev_session_ctx_acquire(s->pool, s->conn.key, &s->ctx_caps, err);
	if (!s->ctx) {
		int fd = SSL_get_fd(ssl);
		SSL_free(ssl);
		close(fd);
		return -1;
	}
	s->nc = nc_connect_libssl(ssl, s->ctx); /* owns ssl (and its socket) from here */
	return 0;
}

/* The capabilities of a session, as one hash (never 0). */
static uint64_t caps_hash_of(struct nc_session *nc)
{
	uint64_t h = WEFT_HASH_SEED;
	const char *const *all = nc_session_get_cpblts(nc);
	for (size_t i = 0; all && all[i]; i++)
		h = weft_hash_str(h, all[i]);
	return h ? h : 1;
}

/* One connect attempt with a pooled context (or a fresh one when
 * s->fresh_ctx). */
static int connect_once(struct ncdev_session *s, weft_err *err)
{
	ncdev_disconnect(s);
	nc_last_error[0] = 0;
	s->ctx_caps = 0;
	if (s->conn.tls) {
		if (tls_session_open(s, err))
			return -1;
	} else if (ssh_session_open(s, err)) {
		return -1;
	}
	if (!s->nc) {
		/* A context libnetconf2 gave up on is not put back. */
		ly_ctx_destroy(s->ctx);
		s->ctx = NULL;
		return weft_err_set(err, "device %s: NETCONF session setup failed: %s", s->conn.key,
		                    nc_last_error[0] ? nc_last_error : "no hello");
	}
	return 0;
}

int ncdev_connect(struct ncdev_session *s, weft_err *err)
{
	pthread_once(&client_once, client_init);
	s->fresh_ctx = 0;
	if (connect_once(s, err))
		return -1;
	uint64_t caps = caps_hash_of(s->nc);
	if (s->ctx_caps && s->ctx_caps != caps) {
		/* The device announces other capabilities than when the pooled
		 * context was filled (a software upgrade): start from a fresh
		 * context rather than one holding other module revisions. */
		s->ctx_caps = 0; /* not pooled: destroyed with the session */
		ncdev_disconnect(s);
		s->fresh_ctx = 1;
		int rc = connect_once(s, err);
		s->fresh_ctx = 0;
		if (rc)
			return -1;
	}
	s->ctx_caps = caps;
	s->caps = discover(s->nc);
	s->sid = nc_session_get_id(s->nc);
	s->broken = 0;
	s->locked = 0;
	s->connects++;
	return 0;
}

int ncdev_ensure(struct ncdev_session *s, weft_err *err)
{
	if (s->nc && !s->broken && nc_session_get_status(s->nc) == NC_STATUS_RUNNING)
		return 0;
	int64_t delay = RECONNECT_BASE_MS;
	for (int i = 0; i < RECONNECT_TRIES; i++) {
		if (i) {
			struct timespec ts = {delay / 1000, (delay % 1000) * 1000000L};
			nanosleep(&ts, NULL);
			delay *= 2;
		}
		if (!ncdev_connect(s, err))
			return 0;
		if (strstr(err->msg, "host key mismatch") || strstr(err->msg, "authentication"))
			break; /* retrying cannot help */
	}
	return -1;
}

void ncdev_disconnect(struct ncdev_session *s)
{
	if (s->nc)
		nc_session_free(s->nc, NULL);
	s->nc = NULL;
	/* The context goes back to the pool for the device's next session
	 * (its modules are loaded already); one from a failed setup does not. */
	if (s->ctx && s->ctx_caps)
		ncdev_session_ctx_release(s->pool, s->conn.key, s->ctx_caps, s->ctx);
	else if (s->ctx)
		ly_ctx_destroy(s->ctx);
	s->ctx = NULL;
	s->ctx_caps = 0;
	s->locked = 0;
}

int ncdev_mode(const struct ncdev_session *s, enum ncdev_mode *mode, weft_err *err)
{
	unsigned c = s->caps;
	switch (s->conn.commit) {
	case WEFT_COMMIT_CONFIRMED:
		if (!(c & NCDEV_CAP_CANDIDATE) || !(c & NCDEV_CAP_CONFIRMED))
			return weft_err_set(
			        err,
			        "device %s: options.commit is confirmed but the device lacks "
			        ":candidate or :confirmed-commit:1.1",
			        s->conn.key);
		*mode = NCDEV_MODE_CONFIRMED;
		return 0;
	case WEFT_COMMIT_CANDIDATE:
		if (!(c & NCDEV_CAP_CANDIDATE))
			return weft_err_set(
			        err,
			        "device %s: options.commit is candidate but the device lacks "
			        ":candidate",
			        s->conn.key);
		*mode = NCDEV_MODE_CANDIDATE;
		return 0;
	case WEFT_COMMIT_RUNNING:
		if (!(c & NCDEV_CAP_RUNNING))
			return weft_err_set(
			        err,
			        "device %s: options.commit is running but the device lacks "
			        ":writable-running",
			        s->conn.key);
		*mode = NCDEV_MODE_RUNNING;
		return 0;
	default:
		break;
	}
	if ((c & NCDEV_CAP_CANDIDATE) && (c & NCDEV_CAP_CONFIRMED))
		*mode = NCDEV_MODE_CONFIRMED;
	else if (c & NCDEV_CAP_CANDIDATE)
		*mode = NCDEV_MODE_CANDIDATE;
	else if (c & NCDEV_CAP_RUNNING)
		*mode = NCDEV_MODE_RUNNING;
	else
		return weft_err_set(err,
		                    "device %s: the device has neither :candidate nor "
		                    ":writable-running: weft cannot change its configuration",
		                    s->conn.key);
	return 0;
}
