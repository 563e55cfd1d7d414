/* See ncit.h. */
#include "ncit.h"

#include <curl/curl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pwd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ncdev_adapter.h"
#include "policy.h"
#include "resource.h"
#include "testsupport.h"

static int port_free(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET,
	                        .sin_port = htons((uint16_t)port),
	                        .sin_addr.s_addr = htonl(0x7f000001)};
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	int ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

/* A base port B with B..B+n free (n+1 ports: the last one is the control). */
static int free_range(int n)
{
	for (int tries = 0; tries < 200; tries++) {
		int base = 20000 + (int)((unsigned)rand() % 35000u);
		int ok = 1;
		for (int i = 0; i <= n && ok; i++)
			ok = port_free(base + i);
		if (ok)
			return base;
	}
	return -1;
}

int ncit_sim_start(struct ncit_sim *s, int n, const char *const *extra)
{
	memset(s, 0, sizeof(*s));
	srand((unsigned)(getpid() ^ ts_now_ms()));
	setenv("NCIT_PASSWORD", "secret", 1);
	s->n = n;
	s->dir = ts_mkdtemp("ncit");
	s->base = free_range(n);
	if (!s->dir || s->base < 0)
		return -1;
	s->control = s->base + n;
	snprintf(s->log, sizeof(s->log), "%s/ncsim.log", s->dir);
	char bin[600], nbuf[16], bbuf[16], cbuf[64];
	snprintf(bin, sizeof(bin), "%s/ncsim", ts_bin_dir());
	snprintf(nbuf, sizeof(nbuf), "%d", n);
	snprintf(bbuf, sizeof(bbuf), "%d", s->base);
	snprintf(cbuf, sizeof(cbuf), "127.0.0.1:%d", s->control);
	const char *argv[40] = {
	        bin,  "--devices",   nbuf,           "--ssh-base-port", bbuf, "--control",
	        cbuf, "--auth-user", "admin:secret", "--workers",       "4"};
	size_t k = 11;
	for (size_t i = 0; extra && extra[i] && k < 39; i++)
		argv[k++] = extra[i];
	argv[k] = NULL;
	s->pid = ts_spawn(argv, s->log);
	if (s->pid < 0 || ts_wait_port(s->control, s->pid, 20000) ||
	    ts_wait_port(s->base + n - 1, s->pid, 20000))
		goto fail;
	char *info = ncit_http(s->control, "GET", "/info", NULL, NULL);
	json_t *j = info ? json_loads(info, 0, NULL) : NULL;
	const char *fp = json_string_value(json_object_get(j, "hostkey_fingerprint"));
	if (fp)
		snprintf(s->fp, sizeof(s->fp), "%s", fp);
	json_decref(j);
	free(info);
	if (s->fp[0])
		return 0;
fail : {
	char *log = ts_read_file(s->log, NULL);
	fprintf(stderr, "ncsim did not start:\n%s\n", log ? log : "");
	free(log);
	ncit_sim_stop(s);
	return -1;
}
}

void ncit_sim_stop(struct ncit_sim *s)
{
	if (s->pid > 0)
		ts_stop(s->pid, 5000);
	s->pid = 0;
	if (s->dir)
		ts_rmtree(s->dir);
	free(s->dir);
	s->dir = NULL;
}

struct buf {
	char *p;
	size_t n;
};

static size_t on_data(char *data, size_t size, size_t nmemb, void *ud)
{
	struct buf *b = ud;
	size_t len = size * nmemb;
	char *p = realloc(b->p, b->n + len + 1);
	if (!p)
		return 0;
	memcpy(p + b->n, data, len);
	b->p = p;
	b->n += len;
	p[b->n] = 0;
	return len;
}

char *ncit_http(int port, const char *method, const char *path, const char *body, long *status)
{
	CURL *c = curl_easy_init();
	char url[512];
	struct buf b = {calloc(1, 1), 0};
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	if (body)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	CURLcode rc = curl_easy_perform(c);
	if (status)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl_easy_cleanup(c);
	if (rc != CURLE_OK) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

char *ncit_running(const struct ncit_sim *s, int i)
{
	char path[64];
	snprintf(path, sizeof(path), "/devices/%d/datastore/running", i);
	return ncit_http(s->control, "GET", path, NULL, NULL);
}

void ncit_device_yaml(char *buf, size_t len, const char *name, const struct ncit_sim *s, int i,
                      const char *extra)
{
	size_t off = strlen(buf);
	snprintf(buf + off, len - off,
	         "---\napiVersion: weft/v1\nkind: Device\nmetadata: {name: %s}\n"
	         "spec:\n  type: netconf\n"
	         "  connection: {address: 127.0.0.1, port: %d, username: admin,"
	         " credentials: {env: NCIT_PASSWORD}, hostKey: \"%s\", timeout: 10s}\n%s",
	         name, s->base + i, s->fp, extra ? extra : "");
}

weft_snapshot *ncit_compile(const char *yaml, int64_t rev, char *err, size_t errlen)
{
	weft_docset docs;
	weft_diags d;
	weft_docset_init(&docs);
	weft_diags_init(&d);
	weft_resource **res = NULL;
	size_t n = 0;
	weft_snapshot *snap = NULL;
	weft_policyset *set = NULL;
	if (!weft_docset_parse(&docs, "policy.yaml", yaml, strlen(yaml), &d) &&
	    !weft_policy_decode_all(&docs, &res, &n, &d) &&
	    (set = weft_policyset_new(res, n, &d)) && !weft_policy_validate(set, &d)) {
		weft_err e = {0};
		snap = weft_snapshot_compile(set, rev, NULL, &e);
		if (!snap)
			snprintf(err, errlen, "%s", e.msg);
	} else if (d.count) {
		char *m = weft_diag_format(&d.items[0]);
		snprintf(err, errlen, "%s", m ? m : "invalid policy");
		free(m);
	}
	for (size_t i = 0; i < n; i++)
		weft_resource_unref(res[i]);
	free(res);
	weft_policyset_unref(set);
	weft_docset_free(&docs);
	weft_diags_free(&d);
	return snap;
}

const weft_resource *ncit_device(const weft_snapshot *snap, const char *name)
{
	size_t n;
	weft_resource *const *devs = weft_snapshot_devices(snap, &n);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(devs[i]->name, name))
			return devs[i];
	return NULL;
}

static int run_phases(const weft_adapter_instance *ai, void *session, weft_plan *plan,
                      const char *stop_after, weft_err *err)
{
	const weft_adapter *a = ai->ops;
	weft_phase entered = WEFT_PHASE_PREPARE;
	int rc = a->prepare(ai->ctx, session, plan, err);
	if (!rc) {
		entered = WEFT_PHASE_APPLY;
		rc = a->apply(ai->ctx, session, plan, err);
	}
	if (!rc && stop_after && !strcmp(stop_after, "apply"))
		return 0;
	if (!rc) {
		entered = WEFT_PHASE_CONFIRM;
		rc = a->confirm(ai->ctx, session, plan, err);
	}
	if (rc) {
		weft_err aerr = {0};
		if (a->abort(ai->ctx, session, plan, entered, &aerr))
			weft_err_prefix(err, "abort also failed (%s)", aerr.msg);
	}
	return rc;
}

/* The netconf adapter instance the tests' sessions share (its context
 * pool and first-open set), as weftd's controller would hold one. */
static weft_adapter_instance test_instance;
static pthread_once_t test_instance_once = PTHREAD_ONCE_INIT;

static void test_instance_init(void)
{
	weft_err err = {0};
	if (weft_adapter_instance_init(&test_instance, ncdev_adapter(), NULL, NULL, &err)) {
		fprintf(stderr, "netconf adapter: %s\n", err.msg);
		abort();
	}
}

const weft_adapter_instance *ncit_adapter(void)
{
	pthread_once(&test_instance_once, test_instance_init);
	return &test_instance;
}

int ncit_push(void **session, const weft_snapshot *snap, const weft_resource *dev,
              const char *stop_after, size_t *n_ops, char **last_edit, weft_err *err)
{
	const weft_adapter_instance *ai = ncit_adapter();
	const weft_adapter *a = ai->ops;
	void *ctx = ai->ctx;
	void *desired = NULL, *actual = NULL;
	weft_plan plan;
	weft_plan_init(&plan, dev->name, a->kind, weft_snapshot_revision(snap));
	int rc = *session ? 0 : a->open(ctx, dev, session, err);
	if (!rc)
		rc = a->render(ctx, snap, dev, &desired, err);
	if (!rc)
		rc = a->observe(ctx, *session, dev, &actual, err);
	if (!rc)
		rc = a->diff(ctx, dev, desired, actual, &plan, err);
	if (n_ops)
		*n_ops = plan.n_ops;
	if (last_edit)
		*last_edit = !rc && plan.n_ops ? strdup(plan.ops[plan.n_ops - 1].detail) : NULL;
	if (!rc && plan.n_ops)
		rc = run_phases(ai, *session, &plan, stop_after, err);
	weft_plan_free(&plan);
	if (desired)
		a->free_config(ctx, desired);
	if (actual)
		a->free_config(ctx, actual);
	return rc;
}

/* ---- yuma123 netconfd behind a private sshd ---- */

#define NETCONFD "/usr/sbin/netconfd"
#define SSHD     "/usr/sbin/sshd"
#define SUBSYS   "/usr/sbin/netconf-subsystem"

int ncit_yuma_available(void)
{
	return !access(NETCONFD, X_OK) && !access(SSHD, X_OK) && !access(SUBSYS, X_OK);
}

static int run(const char *const *argv, char **out)
{
	char *o = NULL;
	int rc = ts_run(argv, &o, 20000);
	if (out)
		*out = o;
	else
		free(o);
	return rc;
}

static int keys(struct ncit_yuma *f)
{
	char host[600], user[600], ak[700];
	snprintf(host, sizeof(host), "%s/host_key", f->dir);
	snprintf(user, sizeof(user), "%s/user_key", f->dir);
	const char *g1[] = {
	        "/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", host, NULL};
	const char *g2[] = {
	        "/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", user, NULL};
	if (run(g1, NULL) || run(g2, NULL))
		return -1;
	snprintf(ak, sizeof(ak), "%s.pub", user);
	char *pub = ts_read_file(ak, NULL);
	snprintf(ak, sizeof(ak), "%s/authorized_keys", f->dir);
	ts_write_file(ak, pub ? pub : "");
	free(pub);
	snprintf(ak, sizeof(ak), "%s.pub", host);
	const char *lf[] = {"/usr/bin/ssh-keygen", "-lf", ak, NULL};
	char *out = NULL;
	if (run(lf, &out) || !out || sscanf(out, "%*d %127s", f->fp) != 1) {
		free(out);
		return -1;
	}
	free(out);
	return 0;
}

static int start_servers(struct ncit_yuma *f, const char *target)
{
	char arg[6][700], log[600], path[600];
	snprintf(path, sizeof(path), "%s/startup.xml", f->dir);
	ts_write_file(path, "<config xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\"/>\n");
	snprintf(arg[0], sizeof(arg[0]), "--module=%s/models/yang/weft-lb.yang", ts_source_dir());
	snprintf(arg[1], sizeof(arg[1]), "--ncxserver-sockname=%s/ncx.sock", f->dir);
	snprintf(arg[2], sizeof(arg[2]), "--startup=%s", path);
	snprintf(arg[3], sizeof(arg[3]), "--superuser=%s", f->user);
	snprintf(arg[4], sizeof(arg[4]), "--target=%s", target);
	snprintf(arg[5], sizeof(arg[5]), "--port=%d", f->port);
	const char *nargv[] = {NETCONFD, arg[0], arg[1], arg[2], arg[3], "--access-control=off",
	                       arg[4],   arg[5], NULL};
	snprintf(log, sizeof(log), "%s/netconfd.log", f->dir);
	f->netconfd = ts_spawn(nargv, log);
	snprintf(path, sizeof(path), "%s/ncx.sock", f->dir);
	if (f->netconfd < 0 || ts_wait_path(path, f->netconfd, 20000))
		return -1;
	char conf[4096], cpath[600], elog[600];
	snprintf(conf, sizeof(conf),
	         "Port %d\nListenAddress 127.0.0.1\nHostKey %s/host_key\nPidFile %s/sshd.pid\n"
	         "AuthorizedKeysFile %s/authorized_keys\nUsePAM no\nStrictModes no\n"
	         "PasswordAuthentication no\nKbdInteractiveAuthentication no\n"
	         "PubkeyAuthentication yes\n"
	         "Subsystem netconf \"%s --ncxserver-sockname=%d@%s/ncx.sock\"\n",
	         f->port, f->dir, f->dir, f->dir, SUBSYS, f->port, f->dir);
	snprintf(cpath, sizeof(cpath), "%s/sshd_config", f->dir);
	ts_write_file(cpath, conf);
	snprintf(elog, sizeof(elog), "%s/sshd.log", f->dir);
	mkdir("/run/sshd", 0755);
	const char *sargv[] = {SSHD, "-D", "-f", cpath, "-E", elog, NULL};
	f->sshd = ts_spawn(sargv, elog);
	return f->sshd < 0 || ts_wait_port(f->port, f->sshd, 15000) ? -1 : 0;
}

int ncit_yuma_start(struct ncit_yuma *f, const char *target)
{
	memset(f, 0, sizeof(*f));
	f->dir = ts_mkdtemp("ncit-yuma");
	f->port = ts_free_port();
	struct passwd *pw = getpwuid(getuid());
	snprintf(f->user, sizeof(f->user), "%s", pw ? pw->pw_name : "root");
	if (f->dir && !keys(f) && !start_servers(f, target))
		return 0;
	char p[700];
	snprintf(p, sizeof(p), "%s/netconfd.log", f->dir);
	char *l = ts_read_file(p, NULL);
	fprintf(stderr, "netconfd/sshd did not start; netconfd log:\n%s\n", l ? l : "");
	free(l);
	ncit_yuma_stop(f);
	return -1;
}

void ncit_yuma_stop(struct ncit_yuma *f)
{
	if (f->sshd > 0)
		ts_stop(f->sshd, 5000);
	if (f->netconfd > 0)
		ts_stop(f->netconfd, 5000);
	f->sshd = f->netconfd = 0;
	if (f->dir)
		ts_rmtree(f->dir);
	free(f->dir);
	f->dir = NULL;
}
