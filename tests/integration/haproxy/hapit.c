/* The haproxy test rig (see hapit.h). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hap_adapter.h"
#include "hapit.h"
#include "resource.h"
#include "testsupport.h"

#define SSHD    "/usr/sbin/sshd"
#define HAPROXY "/usr/sbin/haproxy"
#define PYTHON  "/usr/bin/python3"

int hapit_available(void)
{
	return !access(SSHD, X_OK) && !access(HAPROXY, X_OK) && !access(PYTHON, X_OK);
}

static int keys(struct hapit *h)
{
	char host[600], user[600], ak[700];
	snprintf(host, sizeof(host), "%s/host_key", h->dir);
	snprintf(user, sizeof(user), "%s/user_key", h->dir);
	const char *g1[] = {
	        "/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", host, NULL};
	const char *g2[] = {
	        "/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", user, NULL};
	char *o = NULL;
	if (ts_run(g1, &o, 20000) || (free(o), o = NULL, ts_run(g2, &o, 20000))) {
		free(o);
		return -1;
	}
	free(o);
	snprintf(ak, sizeof(ak), "%s.pub", user);
	char *pub = ts_read_file(ak, NULL);
	snprintf(ak, sizeof(ak), "%s/authorized_keys", h->dir);
	ts_write_file(ak, pub ? pub : "");
	free(pub);
	snprintf(ak, sizeof(ak), "%s.pub", host);
	const char *lf[] = {"/usr/bin/ssh-keygen", "-lf", ak, NULL};
	char *out = NULL;
	int rc = ts_run(lf, &out, 20000) || !out || sscanf(out, "%*d %127s", h->fp) != 1;
	free(out);
	return rc ? -1 : 0;
}

static int start_sshd(struct hapit *h)
{
	char conf[4096], cpath[600], elog[600];
	snprintf(conf, sizeof(conf),
	         "Port %d\nListenAddress 127.0.0.1\nHostKey %s/host_key\nPidFile %s/sshd.pid\n"
	         "AuthorizedKeysFile %s/authorized_keys\nUsePAM no\nStrictModes no\n"
	         "PasswordAuthentication no\nKbdInteractiveAuthentication no\n"
	         "PubkeyAuthentication yes\nAllowTcpForwarding yes\nMaxSessions 100\n"
	         "Subsystem sftp internal-sftp\n",
	         h->ssh_port, h->dir, h->dir, h->dir);
	snprintf(cpath, sizeof(cpath), "%s/sshd_config", h->dir);
	ts_write_file(cpath, conf);
	snprintf(elog, sizeof(elog), "%s/sshd.log", h->dir);
	mkdir("/run/sshd", 0755);
	const char *argv[] = {SSHD, "-D", "-f", cpath, "-E", elog, NULL};
	h->sshd = ts_spawn(argv, elog);
	return h->sshd < 0 || ts_wait_port(h->ssh_port, h->sshd, 15000) ? -1 : 0;
}

/* The operator's own file (global section and a listener of theirs) next
 * to weft's, which starts empty. */
static int start_haproxy(struct hapit *h)
{
	char conf[2048], path[700], mcli[64], log[700];
	snprintf(path, sizeof(path), "%s/conf", h->dir);
	mkdir(path, 0755);
	snprintf(conf, sizeof(conf),
	         "global\n    maxconn 2000\n\n"
	         "frontend operator_health\n    mode http\n    bind 127.0.0.1:%d\n"
	         "    http-request return status 200 content-type text/plain string ok\n"
	         "    timeout client 10s\n",
	         h->op_port);
	snprintf(path, sizeof(path), "%s/conf/00-operator.cfg", h->dir);
	ts_write_file(path, conf);
	snprintf(h->cfg, sizeof(h->cfg), "%s/conf/weft.cfg", h->dir);
	ts_write_file(h->cfg, "");
	snprintf(mcli, sizeof(mcli), "ipv4@127.0.0.1:%d", h->master_port);
	snprintf(path, sizeof(path), "%s/conf", h->dir);
	snprintf(log, sizeof(log), "%s/haproxy.log", h->dir);
	const char *argv[] = {HAPROXY, "-W", "-S", mcli, "-f", path, NULL};
	h->haproxy = ts_spawn(argv, log);
	return h->haproxy < 0 || ts_wait_port(h->master_port, h->haproxy, 15000) ||
	                       ts_wait_port(h->op_port, h->haproxy, 15000)
	               ? -1
	               : 0;
}

static int start_backends(struct hapit *h)
{
	char script[700], port[16], log[700];
	snprintf(script, sizeof(script), "%s/tests/integration/haproxy/backend.py",
	         ts_source_dir());
	for (int i = 0; i < HAPIT_BACKENDS; i++) {
		char name[2] = {(char)('a' + i), 0};
		h->backend_port[i] = ts_free_port();
		snprintf(port, sizeof(port), "%d", h->backend_port[i]);
		snprintf(log, sizeof(log), "%s/backend-%s.log", h->dir, name);
		const char *argv[] = {PYTHON, script, port, name, NULL};
		h->backend[i] = ts_spawn(argv, log);
		if (h->backend[i] < 0 || ts_wait_port(h->backend_port[i], h->backend[i], 15000))
			return -1;
	}
	return 0;
}

int hapit_start(struct hapit *h)
{
	memset(h, 0, sizeof(*h));
	h->dir = ts_mkdtemp("hapit");
	h->ssh_port = ts_free_port();
	h->master_port = ts_free_port();
	h->op_port = ts_free_port();
	if (h->dir && !keys(h) && !start_sshd(h) && !start_haproxy(h) && !start_backends(h))
		return 0;
	char p[800];
	snprintf(p, sizeof(p), "%s/haproxy.log", h->dir ? h->dir : ".");
	char *l = ts_read_file(p, NULL);
	fprintf(stderr, "hapit: the rig did not start; haproxy log:\n%s\n", l ? l : "");
	free(l);
	hapit_stop(h);
	return -1;
}

void hapit_stop(struct hapit *h)
{
	for (int i = 0; i < HAPIT_BACKENDS; i++)
		if (h->backend[i] > 0)
			ts_stop(h->backend[i], 5000);
	if (h->haproxy > 0)
		ts_stop(h->haproxy, 10000);
	if (h->sshd > 0)
		ts_stop(h->sshd, 5000);
	memset(h->backend, 0, sizeof(h->backend));
	h->haproxy = h->sshd = 0;
	if (h->dir)
		ts_rmtree(h->dir);
	free(h->dir);
	h->dir = NULL;
}

void hapit_device_yaml(const struct hapit *h, char *buf, size_t len)
{
	struct passwd *pw = getpwuid(getuid());
	size_t l = strlen(buf);
	snprintf(buf + l, len - l,
	         "---\napiVersion: weft/v1\nkind: Device\nmetadata: {name: lb, namespace: shop}\n"
	         "spec:\n  type: haproxy\n"
	         "  connection:\n    address: 127.0.0.1\n    port: %d\n    username: %s\n"
	         "    hostKey: \"%s\"\n    credentials: {file: %s/user_key}\n"
	         "  options:\n    configFile: %s\n    masterPort: %d\n",
	         h->ssh_port, pw ? pw->pw_name : "root", h->fp, h->dir, h->cfg, h->master_port);
}

char *hapit_master(const struct hapit *h, const char *cmd)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)h->master_port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct timeval tv = {5, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	char line[512];
	snprintf(line, sizeof(line), "%s\n", cmd);
	if (write(fd, line, strlen(line)) < 0) {
		close(fd);
		return NULL;
	}
	size_t cap = 65536, len = 0;
	char *out = calloc(1, cap);
	ssize_t n;
	while (out && len + 1 < cap && (n = read(fd, out + len, cap - len - 1)) > 0)
		len += (size_t)n;
	close(fd);
	return out;
}

int hapit_worker_pid(const struct hapit *h)
{
	char *out = hapit_master(h, "show proc");
	char *w = out ? strstr(out, "# workers\n") : NULL;
	int pid = -1;
	if (w)
		sscanf(w + strlen("# workers\n"), "%d", &pid);
	free(out);
	return pid;
}

static const weft_adapter_instance *instance(void)
{
	static weft_adapter_instance inst;
	static int done;
	if (!done) {
		weft_err e = {0};
		weft_adapter_instance_init(&inst, haproxy_adapter(), NULL, NULL, &e);
		done = 1;
	}
	return &inst;
}

static char *join_ops(const weft_plan *p)
{
	size_t cap = 16;
	for (size_t i = 0; i < p->n_ops; i++)
		cap += strlen(p->ops[i].action) + 1;
	char *s = calloc(1, cap);
	for (size_t i = 0; s && i < p->n_ops; i++) {
		if (i)
			strcat(s, ",");
		strcat(s, p->ops[i].action);
	}
	return s;
}

int hapit_push(void **session, const weft_snapshot *snap, char **ops, weft_err *err)
{
	const weft_adapter_instance *ai = instance();
	const weft_adapter *a = ai->ops;
	size_t n;
	weft_resource *const *devs = weft_snapshot_devices(snap, &n);
	if (!n)
		return weft_err_set(err, "no Device");
	const weft_resource *dev = devs[0];
	if (!*session && a->open(ai->ctx, dev, session, err))
		return -1;
	weft_plan plan;
	weft_plan_init(&plan, "shop/lb", a->kind, weft_snapshot_revision(snap));
	void *desired = NULL, *actual = NULL;
	int rc = a->render(ai->ctx, snap, dev, &desired, err);
	if (!rc)
		rc = a->observe(ai->ctx, *session, dev, &actual, err);
	if (!rc)
		rc = a->diff(ai->ctx, dev, desired, actual, &plan, err);
	if (ops)
		*ops = join_ops(&plan);
	if (!rc && plan.n_ops) {
		weft_phase ph = WEFT_PHASE_PREPARE;
		rc = a->prepare(ai->ctx, *session, &plan, err);
		if (!rc) {
			ph = WEFT_PHASE_APPLY;
			rc = a->apply(ai->ctx, *session, &plan, err);
		}
		if (rc) {
			weft_err ae = {0};
			if (a->abort(ai->ctx, *session, &plan, ph, &ae))
				weft_err_prefix(err, "abort also failed (%s)", ae.msg);
		}
	}
	if (desired)
		a->free_config(ai->ctx, desired);
	if (actual)
		a->free_config(ai->ctx, actual);
	weft_plan_free(&plan);
	return rc;
}

void hapit_close(void *session)
{
	if (session)
		instance()->ops->close(instance()->ctx, session);
}

static const char *loadgen(void)
{
	static char p[700];
	snprintf(p, sizeof(p), "%s/tests/integration/haproxy/loadgen.py", ts_source_dir());
	return p;
}

json_t *hapit_load(int port, int count, const char *const *extra)
{
	char url[64], n[16];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
	snprintf(n, sizeof(n), "%d", count);
	const char *argv[24] = {PYTHON, loadgen(), url, "--count", n, NULL};
	size_t k = 5;
	for (size_t i = 0; extra && extra[i] && k < 23; i++)
		argv[k++] = extra[i];
	argv[k] = NULL;
	char *out = NULL;
	int rc = ts_run(argv, &out, 120000);
	json_t *j = rc == 0 && out ? json_loads(out, 0, NULL) : NULL;
	if (!j)
		fprintf(stderr, "loadgen failed (%d): %s\n", rc, out ? out : "");
	free(out);
	return j;
}

pid_t hapit_load_start(const struct hapit *h, int port, const char *name)
{
	char url[64], until[700], log[700];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
	snprintf(until, sizeof(until), "%s/%s.stop", h->dir, name);
	snprintf(log, sizeof(log), "%s/%s.json", h->dir, name);
	unlink(until);
	unlink(log);
	const char *argv[] = {PYTHON, loadgen(), url, "--until", until, "--concurrency", "4", NULL};
	return ts_spawn(argv, log);
}

json_t *hapit_load_stop(const struct hapit *h, pid_t pid, const char *name)
{
	char until[700], log[700];
	snprintf(until, sizeof(until), "%s/%s.stop", h->dir, name);
	snprintf(log, sizeof(log), "%s/%s.json", h->dir, name);
	ts_write_file(until, "");
	long long end = ts_now_ms() + 30000;
	int st = 0;
	while (ts_now_ms() < end && waitpid(pid, &st, WNOHANG) == 0) {
		struct timespec t = {0, 20000000};
		nanosleep(&t, NULL);
	}
	if (waitpid(pid, &st, WNOHANG) == 0)
		ts_stop(pid, 2000);
	char *out = ts_read_file(log, NULL);
	json_t *j = out ? json_loads(out, 0, NULL) : NULL;
	free(out);
	return j;
}

long long hapit_count(const json_t *r, const char *name)
{
	return json_integer_value(json_object_get(json_object_get(r, "backends"), name));
}

long long hapit_status(const json_t *r, const char *status)
{
	return json_integer_value(json_object_get(json_object_get(r, "status"), status));
}

long long hapit_failures(const json_t *r)
{
	return json_integer_value(json_object_get(r, "failures"));
}
