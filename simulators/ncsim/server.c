/* ncsim server: the libnetconf2 side of the simulator.
 *
 * One libyang context and one libnetconf2 server serve all N devices.
 * Device i is an SSH endpoint "dev<i>" on port base+i and/or a TLS endpoint
 * "dev<i>-tls" on port tls-base+i (tls.c), or a UNIX socket DIR/dev<i>.sock
 * that ncsim listens on itself. One accept thread takes new
 * sessions; a small pool of worker threads drives every session with
 * nc_ps_poll() on one shared poll set, so the thread count does not grow
 * with the number of devices (100 devices run on 2 cores).
 *
 * Per-device capabilities: libnetconf2 2.0.24 builds the <hello> from the
 * features enabled in its single server context, so the accept thread flips
 * the LYS_FENABLED flags of ietf-netconf's features to the device's profile
 * right before the hello is sent. For SSH the device is known in the auth
 * callback (which runs inside nc_accept, before the hello): the session's
 * socket is found by its peer address and its local port names the device;
 * for TLS the same happens in the verify callback, after cert-to-name.
 * The peer address alone does not name one socket: Linux gives the same
 * ephemeral source port to a client's connections to different ports
 * (only the 4-tuple is unique), so a client with sessions to several
 * devices may have two sockets here with one peer address. The socket
 * being accepted is the one with that peer that no registered session
 * owns yet (one accept thread: at most one is in the handshake); taking
 * the first match bound a session to another device's datastore, and that
 * device then answered lock-denied to its own client.
 * Only the accept thread touches these flags, and the compiled schema (used
 * to parse RPCs) has every feature, so this is safe.
 *
 * Workers: nc_ps_poll() with a timeout holds the poll set's lock for that
 * whole timeout, polling every session every 100 us, while nc_ps_add_session()
 * (a new session) and the other workers queue for the lock. With 100 ms and
 * 4 workers a new session waited 300-500 ms for its first RPC to be read,
 * and the spinning cost ~20% of a core with nothing to do -- taken from
 * weft on the 2-core benchmark machine (issue 6). So a worker makes one
 * pass (timeout 0) and, when nothing was ready, sleeps in poll(2) on the
 * sessions' sockets (at most IDLE_WAIT_MS, which also bounds how long a
 * session added meanwhile waits). Sessions whose socket is unknown fall
 * back to short sleeps between passes.
 */
#include "ncsim.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <libssh/libssh.h>

#define IDLE_WAIT_MS 20   /* longest sleep of an idle worker (see the top) */
#define PS_POLL_US   1000 /* between passes when a socket is unknown */

static struct ncsim *g_sim;               /* for libnetconf2 callbacks only */
static __thread struct ncdev *accept_dev; /* device of the session being accepted */
static __thread int accept_fd = -1;       /* its socket */

/* Is fd the transport of a registered session (of any device)? */
static int fd_owned(struct ncsim *sim, int fd)
{
	int owned = 0;

	for (int d = 0; d < sim->ndev && !owned; d++) {
		struct ncdev *dev = &sim->devs[d];

		pthread_mutex_lock(&dev->lock);
		for (int i = 0; i < NCSIM_MAX_SESSIONS && !owned; i++)
			owned = dev->sessions[i] && dev->sessions[i]->fd == fd;
		pthread_mutex_unlock(&dev->lock);
	}
	return owned;
}

/* Finds the socket being accepted: peer host:port and owned by no
 * registered session (see the top of the file). Returns its fd and local
 * port; -1 when there is none, or more than one (never a guess). */
static int find_peer_fd(struct ncsim *sim, const char *host, uint16_t port, int *local_port)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int found = -1, matches = 0;

	if (!d || !host)
		goto out;
	while ((e = readdir(d))) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		char buf[INET6_ADDRSTRLEN];
		int fd = atoi(e->d_name), pport;
		const void *addr;

		if (fd <= 2 || fd == dirfd(d) || getpeername(fd, (struct sockaddr *)&ss, &len))
			continue;
		if (ss.ss_family == AF_INET) {
			addr = &((struct sockaddr_in *)&ss)->sin_addr;
			pport = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		} else if (ss.ss_family == AF_INET6) {
			addr = &((struct sockaddr_in6 *)&ss)->sin6_addr;
			pport = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
		} else {
			continue;
		}
		if (pport != port || !inet_ntop(ss.ss_family, addr, buf, sizeof(buf)) ||
		    strcmp(buf, host))
			continue;
		len = sizeof(ss);
		if (getsockname(fd, (struct sockaddr *)&ss, &len) || fd_owned(sim, fd))
			continue;
		*local_port = ss.ss_family == AF_INET
		                      ? ntohs(((struct sockaddr_in *)&ss)->sin_port)
		                      : ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
		found = fd;
		matches++;
	}
out:
	if (d)
		closedir(d);
	if (matches > 1) {
		ncsim_log("%d unowned sockets from %s:%u: cannot tell which is being accepted",
		          matches, host, port);
		return -1;
	}
	return found;
}

/* Sets ietf-netconf's feature flags to a device's capability profile. */
static void apply_caps(struct ncsim *sim, unsigned caps)
{
	static const struct {
		const char *name;
		unsigned bit;
	} map[] = {
	        {"candidate", CAP_CANDIDATE},
	        {"confirmed-commit", CAP_CONFIRMED_COMMIT},
	        {"validate", CAP_VALIDATE},
	        {"rollback-on-error", CAP_ROLLBACK_ON_ERROR},
	        {"writable-running", CAP_WRITABLE_RUNNING},
	        {"startup", CAP_STARTUP},
	        {"xpath", CAP_XPATH},
	};
	const struct lys_module *mod = ly_ctx_get_module_implemented(sim->ctx, "ietf-netconf");
	struct lysp_feature *f = NULL;
	uint32_t idx = 0;

	if (!mod || !mod->parsed)
		return;
	while ((f = lysp_feature_next(f, mod->parsed, &idx))) {
		if (!strcmp(f->name, "url"))
			f->flags &= ~LYS_FENABLED; /* no :url in ncsim */
		for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
			if (strcmp(f->name, map[i].name))
				continue;
			if (caps & map[i].bit)
				f->flags |= LYS_FENABLED;
			else
				f->flags &= ~LYS_FENABLED;
		}
	}
}

/* Called in auth callbacks: which device is this SSH or TLS session for?
 * The local port of its socket, in the SSH or the TLS port range. */
static struct ncdev *session_device(const struct nc_session *session)
{
	int local_port = 0, ssh = g_sim->opts.ssh_base_port, tls = g_sim->opts.tls_base_port;

	accept_fd = find_peer_fd(g_sim, nc_session_get_host(session), nc_session_get_port(session),
	                         &local_port);
	if (accept_fd < 0)
		return NULL;
	if (ssh && local_port >= ssh && local_port < ssh + g_sim->ndev)
		return &g_sim->devs[local_port - ssh];
	if (tls && local_port >= tls && local_port < tls + g_sim->ndev)
		return &g_sim->devs[local_port - tls];
	return NULL;
}

/* Binds the session being accepted to its device and sets the capability
 * profile for its hello (SSH auth callbacks, TLS verify callback). */
int server_session_bind(const struct nc_session *session)
{
	accept_dev = session_device(session);
	if (!accept_dev) {
		ncsim_log("auth: cannot tell the device of a session from %s:%u",
		          nc_session_get_host(session), nc_session_get_port(session));
		return -1;
	}
	apply_caps(g_sim, accept_dev->caps);
	return 0;
}

static int passwd_auth_cb(const struct nc_session *session, const char *password, void *ud)
{
	struct ncsim *sim = ud;
	const char *user = nc_session_get_username(session);

	if (!user || !password || server_session_bind(session))
		return -1;
	for (int i = 0; i < sim->opts.n_auth_users; i++) {
		const char *u = sim->opts.auth_users[i], *colon = strchr(u, ':');

		if (colon && (size_t)(colon - u) == strlen(user) && !strncmp(u, user, colon - u) &&
		    !strcmp(colon + 1, password))
			return 0;
	}
	ncsim_log("%s: password authentication failed for user '%s'", accept_dev->name, user);
	return -1;
}

static int pubkey_auth_cb(const struct nc_session *session, ssh_key key, void *ud)
{
	struct ncsim *sim = ud;
	ssh_key *keys = sim->authkeys;

	if (server_session_bind(session))
		return -1;
	for (int i = 0; i < sim->n_authkeys; i++)
		if (!ssh_key_cmp(keys[i], key, SSH_KEY_CMP_PUBLIC))
			return 0;
	return -1;
}

static int interactive_auth_cb(const struct nc_session *session, const ssh_message msg, void *ud)
{
	return -1;
}

static int hostkey_cb(const char *name, void *ud, char **privkey_path, char **privkey_data,
                      NC_SSH_KEY_TYPE *privkey_type)
{
	struct ncsim *sim = ud;

	*privkey_path = strdup(sim->host_key_path);
	return *privkey_path ? 0 : -1;
}

/* Loads the host key (generating an ed25519 one if it does not exist) and
 * computes its OpenSSH-style SHA256 fingerprint. */
static int load_host_key(struct ncsim *sim, const char *dir)
{
	ssh_key key = NULL, pub = NULL;
	unsigned char *hash = NULL;
	size_t hlen = 0;
	char *b64 = NULL, *fpr;
	int rc = -1;

	if (sim->opts.host_key) {
		sim->host_key_path = strdup(sim->opts.host_key);
	} else if (asprintf(&sim->host_key_path, "%s/ssh_host_ed25519_key", dir) < 0) {
		return -1;
	}
	if (access(sim->host_key_path, R_OK)) {
		if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) != SSH_OK ||
		    ssh_pki_export_privkey_file(key, NULL, NULL, NULL, sim->host_key_path) !=
		            SSH_OK) {
			ncsim_log("cannot generate host key %s", sim->host_key_path);
			goto out;
		}
		chmod(sim->host_key_path, 0600);
		ssh_key_free(key);
		key = NULL;
	}
	if (ssh_pki_import_privkey_file(sim->host_key_path, NULL, NULL, NULL, &key) != SSH_OK ||
	    ssh_pki_export_privkey_to_pubkey(key, &pub) != SSH_OK ||
	    ssh_get_publickey_hash(pub, SSH_PUBLICKEY_HASH_SHA256, &hash, &hlen) ||
	    ssh_pki_export_pubkey_base64(pub, &b64) != SSH_OK) {
		ncsim_log("cannot read host key %s", sim->host_key_path);
		goto out;
	}
	fpr = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hlen);
	sim->host_key_fpr = fpr ? strdup(fpr) : NULL;
	ssh_string_free_char(fpr);
	if (asprintf(&sim->host_key_pub, "%s %s", ssh_key_type_to_char(ssh_key_type(pub)), b64) < 0)
		goto out;
	rc = sim->host_key_fpr ? 0 : -1;
out:
	ssh_clean_pubkey_hash(&hash);
	ssh_string_free_char(b64);
	ssh_key_free(pub);
	ssh_key_free(key);
	return rc;
}

/* Reads an OpenSSH authorized_keys file ("type base64 [comment]" lines). */
static int load_authorized_keys(struct ncsim *sim)
{
	FILE *f = fopen(sim->opts.authorized_keys, "r");
	char line[16384];
	ssh_key *keys = NULL;
	int n = 0, lineno = 0;

	if (!f) {
		ncsim_log("--authorized-keys %s: %s", sim->opts.authorized_keys, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *type = strtok(line, " \t\r\n"), *b64 = strtok(NULL, " \t\r\n");
		ssh_key k = NULL;

		lineno++;
		if (!type || type[0] == '#' || !b64)
			continue;
		if (ssh_pki_import_pubkey_base64(b64, ssh_key_type_from_name(type), &k) != SSH_OK) {
			ncsim_log("%s:%d: not a public key", sim->opts.authorized_keys, lineno);
			continue;
		}
		keys = realloc(keys, (n + 1) * sizeof(*keys));
		keys[n++] = k;
	}
	fclose(f);
	sim->authkeys = keys;
	sim->n_authkeys = n;
	return n ? 0 : -1;
}

static int setup_ssh(struct ncsim *sim)
{
	const char *dir = sim->opts.state_dir ? sim->opts.state_dir : sim->tmp_dir;

	if (load_host_key(sim, dir))
		return -1;
	if (sim->opts.authorized_keys && load_authorized_keys(sim))
		return -1;
	nc_server_ssh_set_hostkey_clb(hostkey_cb, sim, NULL);
	nc_server_ssh_set_passwd_auth_clb(passwd_auth_cb, sim, NULL);
	nc_server_ssh_set_pubkey_auth_clb(pubkey_auth_cb, sim, NULL);
	nc_server_ssh_set_interactive_auth_clb(interactive_auth_cb, sim, NULL);
	for (int i = 0; i < sim->ndev; i++) {
		const char *name = sim->devs[i].name;
		int methods = NC_SSH_AUTH_PASSWORD | (sim->n_authkeys ? NC_SSH_AUTH_PUBLICKEY : 0);

		if (nc_server_add_endpt(name, NC_TI_LIBSSH) ||
		    nc_server_endpt_set_address(name, sim->opts.address) ||
		    nc_server_endpt_set_port(name, sim->opts.ssh_base_port + i) ||
		    nc_server_ssh_endpt_add_hostkey(name, "hostkey", -1) ||
		    nc_server_ssh_endpt_set_auth_methods(name, methods) ||
		    nc_server_ssh_endpt_set_auth_timeout(name, 10)) {
			ncsim_log("%s: cannot listen on %s:%d", name, sim->opts.address,
			          sim->opts.ssh_base_port + i);
			return -1;
		}
	}
	return 0;
}

static int setup_unix(struct ncsim *sim)
{
	sim->unix_listen = calloc(sim->ndev, sizeof(int));
	mkdir(sim->opts.unix_dir, 0755);
	for (int i = 0; i < sim->ndev; i++) {
		struct sockaddr_un sun = {.sun_family = AF_UNIX};
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/dev%d.sock", sim->opts.unix_dir,
		         i);
		unlink(sun.sun_path);
		if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) || listen(fd, 64)) {
			ncsim_log("dev%d: cannot listen on %s: %s", i, sun.sun_path,
			          strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
		sim->unix_listen[i] = fd;
	}
	return 0;
}

/* Registers an accepted session with its device and the poll set. */
static void session_register(struct ncsim *sim, struct ncdev *dev, struct nc_session *ncs, int fd)
{
	struct ncsess *s = calloc(1, sizeof(*s));
	int slot = -1;

	pthread_mutex_lock(&dev->lock);
	for (int i = 0; i < NCSIM_MAX_SESSIONS && slot < 0; i++)
		if (!dev->sessions[i])
			slot = i;
	if (s && slot >= 0) {
		s->dev = dev;
		s->nc = ncs;
		s->id = nc_session_get_id(ncs);
		s->fd = fd;
		dev->sessions[slot] = s;
	}
	pthread_mutex_unlock(&dev->lock);
	if (!s || slot < 0) {
		ncsim_log("%s: too many sessions, dropping a new one", dev->name);
		nc_session_free(ncs, NULL);
		if (sim->unix_listen && fd >= 0)
			close(fd);
		free(s);
		return;
	}
	nc_session_set_data(ncs, s);
	if (sim->opts.verbose)
		ncsim_log("%s: session %u up (%s)", dev->name, s->id,
		          nc_session_get_username(ncs) ? nc_session_get_username(ncs) : "?");
	nc_ps_add_session(sim->ps, ncs);
}

static void accept_unix_once(struct ncsim *sim)
{
	struct pollfd *pfd = calloc(sim->ndev, sizeof(*pfd));
	int n;

	for (int i = 0; i < sim->ndev; i++) {
		pfd[i].fd = sim->unix_listen[i];
		pfd[i].events = POLLIN;
	}
	n = poll(pfd, sim->ndev, 200);
	for (int i = 0; n > 0 && i < sim->ndev && !sim->stop; i++) {
		struct nc_session *ncs = NULL;
		struct ucred cred;
		socklen_t clen = sizeof(cred);
		struct passwd pw, *pwp = NULL;
		char pwbuf[1024];
		const char *user = "admin";
		int fd;

		if (!(pfd[i].revents & POLLIN))
			continue;
		fd = accept4(pfd[i].fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			continue;
		if (!getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) &&
		    !getpwuid_r(cred.uid, &pw, pwbuf, sizeof(pwbuf), &pwp) && pwp)
			user = pw.pw_name;
		apply_caps(sim, sim->devs[i].caps);
		if (nc_accept_inout(fd, fd, user, &ncs) != NC_MSG_HELLO) {
			close(fd);
			continue;
		}
		session_register(sim, &sim->devs[i], ncs, fd);
	}
	free(pfd);
}

static void *accept_main(void *arg)
{
	struct ncsim *sim = arg;

	while (!sim->stop) {
		struct nc_session *ncs = NULL;
		NC_MSG_TYPE t;

		if (sim->unix_listen) {
			accept_unix_once(sim);
			continue;
		}
		accept_dev = NULL;
		accept_fd = -1;
		t = nc_accept(200, &ncs);
		if (t != NC_MSG_HELLO)
			continue;
		if (!accept_dev) {
			nc_session_free(ncs, NULL);
			continue;
		}
		session_register(sim, accept_dev, ncs, accept_fd);
	}
	return NULL;
}

/* A session ended (closed, killed, dropped, transport error): forget it. */
static void session_end(struct ncsim *sim, struct nc_session *ncs)
{
	struct ncsess *s = nc_session_get_data(ncs);

	nc_ps_del_session(sim->ps, ncs);
	if (s) {
		if (sim->opts.verbose)
			ncsim_log("%s: session %u ended", s->dev->name, s->id);
		rpc_session_ended(s);
	}
	nc_session_free(ncs, NULL);
	if (s && sim->unix_listen && s->fd >= 0)
		close(s->fd);
	free(s);
}

/* Blocks until a session's socket is readable, at most IDLE_WAIT_MS. -1
 * when some session's socket is unknown (the caller then polls). */
static int wait_readable(struct ncsim *sim, struct pollfd **pfd, size_t *cap)
{
	size_t n = 0;
	int unknown = 0;

	for (int d = 0; d < sim->ndev && !unknown; d++) {
		struct ncdev *dev = &sim->devs[d];

		pthread_mutex_lock(&dev->lock);
		for (int i = 0; i < NCSIM_MAX_SESSIONS && !unknown; i++) {
			struct ncsess *s = dev->sessions[i];

			if (!s)
				continue;
			if (n == *cap) {
				size_t c = *cap ? *cap * 2 : 64;
				struct pollfd *p = realloc(*pfd, c * sizeof(*p));

				if (!p) {
					unknown = 1;
					break;
				}
				*pfd = p;
				*cap = c;
			}
			unknown = s->fd < 0;
			(*pfd)[n].fd = s->fd;
			(*pfd)[n].events = POLLIN;
			(*pfd)[n].revents = 0;
			n++;
		}
		pthread_mutex_unlock(&dev->lock);
	}
	if (unknown)
		return -1;
	poll(*pfd, n, IDLE_WAIT_MS);
	return 0;
}

static void *worker_main(void *arg)
{
	struct ncsim *sim = arg;
	struct pollfd *pfd = NULL;
	size_t cap = 0;

	while (!sim->stop) {
		struct nc_session *ncs = NULL;
		/* one pass over the poll set (see the top of the file) */
		int r = nc_ps_poll(sim->ps, 0, &ncs);

		if (r & NC_PSPOLL_NOSESSIONS) {
			usleep(20000);
			continue;
		}
		if ((r & (NC_PSPOLL_SESSION_TERM | NC_PSPOLL_SESSION_ERROR)) && ncs)
			session_end(sim, ncs);
		if (r == NC_PSPOLL_TIMEOUT && wait_readable(sim, &pfd, &cap))
			usleep(PS_POLL_US);
	}
	free(pfd);
	nc_thread_destroy();
	return NULL;
}

static void *timer_main(void *arg)
{
	struct ncsim *sim = arg;

	while (!sim->stop) {
		usleep(50000);
		ds_timer_tick(sim);
	}
	return NULL;
}

/* Abruptly drops a session's transport (fault knob, kill-session). */
void sess_drop(struct ncsess *s)
{
	if (s->fd >= 0)
		shutdown(s->fd, SHUT_RDWR);
}

/* Caller holds dev->lock. */
struct ncsess *dev_find_session(struct ncdev *dev, uint32_t id)
{
	for (int i = 0; i < NCSIM_MAX_SESSIONS; i++)
		if (dev->sessions[i] && dev->sessions[i]->id == id)
			return dev->sessions[i];
	return NULL;
}

static int load_context(struct ncsim *sim)
{
	const char *feats[] = {"*", NULL};
	char ietf[4096];
	const struct lysc_node *n;
	DIR *d;
	struct dirent *e;

	snprintf(ietf, sizeof(ietf), "%s/ietf", sim->opts.models_dir);
	if (ly_ctx_new(sim->opts.models_dir, 0, &sim->ctx) ||
	    ly_ctx_set_searchdir(sim->ctx, ietf) ||
	    !ly_ctx_load_module(sim->ctx, "ietf-netconf", NULL, feats) ||
	    !ly_ctx_load_module(sim->ctx, "ietf-netconf-with-defaults", NULL, NULL) ||
	    !ly_ctx_load_module(sim->ctx, "ietf-netconf-monitoring", NULL, NULL)) {
		ncsim_log("cannot load the NETCONF modules from %s (and %s)", sim->opts.models_dir,
		          ietf);
		return -1;
	}
	/* every module in the models directory is a device module */
	d = opendir(sim->opts.models_dir);
	while (d && (e = readdir(d))) {
		char name[256], *at;
		size_t len = strlen(e->d_name);

		if (len < 6 || strcmp(e->d_name + len - 5, ".yang") || len >= sizeof(name))
			continue;
		memcpy(name, e->d_name, len - 5);
		name[len - 5] = '\0';
		if ((at = strchr(name, '@')))
			*at = '\0';
		if (!ly_ctx_load_module(sim->ctx, name, NULL, feats)) {
			ncsim_log("cannot load module %s from %s", name, sim->opts.models_dir);
			closedir(d);
			return -1;
		}
	}
	if (d)
		closedir(d);
	/* our own handlers for the RPCs that libnetconf2 would answer itself */
	n = lys_find_path(sim->ctx, NULL, "/ietf-netconf-monitoring:get-schema", 0);
	if (n)
		((struct lysc_node *)n)->priv = (void *)rpc_dispatch;
	n = lys_find_path(sim->ctx, NULL, "/ietf-netconf:close-session", 0);
	if (n)
		((struct lysc_node *)n)->priv = (void *)rpc_dispatch;
	return 0;
}

int server_start(struct ncsim *sim)
{
	g_sim = sim;
	if (load_context(sim) || nc_server_init(sim->ctx))
		return -1;
	nc_set_global_rpc_clb(rpc_dispatch);
	/* libnetconf2 2.0.24 reads also-supported as bit (mode - 1): 0x07 is
	 * report-all, report-all-tagged and trim */
	nc_server_set_capab_withdefaults(NC_WD_EXPLICIT, 0x07);
	nc_server_set_hello_timeout(20);
	nc_server_set_idle_timeout(0);
	for (int i = 0; i < sim->ndev; i++)
		if (ds_load(&sim->devs[i]))
			return -1;
	if (sim->opts.unix_dir ? setup_unix(sim)
	                       : (sim->opts.ssh_base_port && setup_ssh(sim)) ||
	                                 (sim->opts.tls_base_port && tls_setup(sim)))
		return -1;
	sim->ps = nc_ps_new();
	sim->worker_threads = calloc(sim->opts.workers, sizeof(pthread_t));
	for (int i = 0; i < sim->opts.workers; i++)
		pthread_create(&sim->worker_threads[i], NULL, worker_main, sim);
	pthread_create(&sim->timer_thread, NULL, timer_main, sim);
	pthread_create(&sim->accept_thread, NULL, accept_main, sim);
	return 0;
}

void server_stop(struct ncsim *sim)
{
	sim->stop = 1;
	if (sim->worker_threads) {
		pthread_join(sim->accept_thread, NULL);
		pthread_join(sim->timer_thread, NULL);
		for (int i = 0; i < sim->opts.workers; i++)
			pthread_join(sim->worker_threads[i], NULL);
	}
	if (sim->ps) {
		/* free the remaining sessions with our bookkeeping */
		while (nc_ps_session_count(sim->ps))
			session_end(sim, nc_ps_get_session(sim->ps, 0));
		nc_ps_free(sim->ps);
	}
	for (int i = 0; sim->unix_listen && i < sim->ndev; i++) {
		char path[4096];

		close(sim->unix_listen[i]);
		snprintf(path, sizeof(path), "%s/dev%d.sock", sim->opts.unix_dir, i);
		unlink(path);
	}
	free(sim->unix_listen);
	free(sim->worker_threads);
	nc_server_destroy();
	for (int i = 0; i < sim->n_authkeys; i++)
		ssh_key_free(((ssh_key *)sim->authkeys)[i]);
	free(sim->authkeys);
}
