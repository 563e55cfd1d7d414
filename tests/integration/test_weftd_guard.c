/* Integration test of what a request may make weftd do (docs/security.md),
 * against one weftd with an admin and a viewer token:
 *   - a read takes no body (GET /v1/plan with documents: 400, for every
 *     role), answered from the headers before the body is sent;
 *   - a dry-run plan never connects to a Device that the stored policy does
 *     not hold with the same connection: f5 Devices aimed at a listener of
 *     this test (credentials from env and from a file, tls insecure) get no
 *     connection, new or moved file Devices create no directory; the same
 *     f5 Device once stored IS contacted (the listener can see it);
 *     weftctl plan shows such Devices as not contacted;
 *   - requests without a valid token are refused on their headers: a
 *     16 MiB upload is answered 401 before its body is sent;
 *   - a body of 116,508 broken documents answers the first 1,000 errors
 *     and a count, in bounded memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "testsupport.h"

#define ADMIN  "admin-token-0123456789abcdef"
#define VIEWER "viewer-token-0123456789abcdef"
#define SECRET "guard-secret-do-not-send"

/* weftd's peak RSS bound for the broken body (921 MB before errors were
 * capped); ASan's redzones and quarantine take more (the test is built
 * with the same flags as weftd) */
#ifdef __SANITIZE_ADDRESS__
#define MAX_PEAK_KIB (1024 * 1024)
#else
#define MAX_PEAK_KIB (200 * 1024)
#endif

static wd d;
static char root[700];    /* weftd's --file-root */
static int listener = -1; /* a TCP listener standing in for a BIG-IP */
static int listener_port;
static char secret_file[700];

static int open_listener(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 64) ||
	    getsockname(fd, (struct sockaddr *)&a, &len)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	listener_port = ntohs(a.sin_port);
	return fd;
}

/* Connections the listener received within wait_ms (accepted and closed). */
static int listener_connections(int wait_ms)
{
	int n = 0;
	long long end = ts_now_ms() + wait_ms;
	for (;;) {
		int c = accept(listener, NULL, NULL);
		if (c >= 0) {
			close(c);
			n++;
			continue;
		}
		long long left = end - ts_now_ms();
		if (left <= 0 || n > 0)
			return n;
		struct pollfd p = {.fd = listener, .events = POLLIN};
		poll(&p, 1, (int)(left < 100 ? left : 100));
	}
}

static int group_setup(void **state)
{
	if (wd_init(&d, "weft-it-guard") != 0 || (listener = open_listener()) < 0)
		return -1;
	char tokens[700];
	snprintf(tokens, sizeof(tokens), "%s/tokens", d.dir);
	snprintf(root, sizeof(root), "%s/files", d.dir);
	snprintf(secret_file, sizeof(secret_file), "%s/secret", d.dir);
	if (ts_write_file(tokens, ADMIN " admin alice\n" VIEWER " viewer bob\n") ||
	    ts_write_file(secret_file, SECRET "\n") || mkdir(root, 0755))
		return -1;
	chmod(tokens, 0600);
	/* the worst case: weftd holds the secrets the request names */
	setenv("WEFT_GUARD_SECRET", SECRET, 1);
	const char *extra[] = {"--tokens", tokens, "--file-root", root, NULL};
	return wd_start(&d, extra);
}

static int group_teardown(void **state)
{
	wd_cleanup(&d);
	if (listener >= 0)
		close(listener);
	return 0;
}

static const char service[] = "apiVersion: weft/v1\nkind: Service\n"
                              "metadata: {name: pay, namespace: shop}\n"
                              "spec:\n  protocol: http\n  ports: [{name: http, port: 8080}]\n"
                              "  endpoints: [{address: 10.0.0.1}]\n";

static const char *file_device(char *buf, size_t len, const char *name, const char *dir)
{
	snprintf(buf, len,
	         "---\napiVersion: weft/v1\nkind: Device\nmetadata: {name: %s, namespace: infra}\n"
	         "spec:\n  type: file\n  options: {directory: %s}\n",
	         name, dir);
	return buf;
}

/* The partition is the Device's name: two Devices on one box must not
 * share one (docs/policy.md). */
static const char *f5_device(char *buf, size_t len, const char *name, const char *creds)
{
	snprintf(
	        buf, len,
	        "---\napiVersion: weft/v1\nkind: Device\nmetadata: {name: %s, namespace: infra}\n"
	        "spec:\n  type: f5\n  connection: {address: 127.0.0.1, port: %d, username: admin,\n"
	        "    credentials: %s, tls: {insecure: true}, timeout: 2s}\n"
	        "  options: {partition: %s}\n",
	        name, listener_port, creds, name);
	return buf;
}

static long request(const char *method, const char *path, const char *token, const char *body,
                    http_resp *r)
{
	if (http_do(d.url, method, path, token, body ? "application/yaml" : NULL, body,
	            body ? strlen(body) : 0, r) != 0)
		return -1;
	return r->status;
}

static long status_of(const char *method, const char *path, const char *token, const char *body)
{
	http_resp r;
	long s = request(method, path, token, body, &r);
	if (s >= 0)
		http_resp_free(&r);
	return s;
}

static int dir_exists(const char *rel)
{
	char p[1400];
	struct stat st;
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	return stat(p, &st) == 0;
}

static void test_store_policy(void **state)
{
	char body[4096], a[512], b[512];
	snprintf(body, sizeof(body), "%s%s%s", service, file_device(a, sizeof(a), "keep", "keep"),
	         file_device(b, sizeof(b), "move", "orig"));
	assert_int_equal(status_of("POST", "/v1/apply", ADMIN, body), 200);
	assert_int_equal(listener_connections(0), 0);
}

/* The dry-run body of the attack: two f5 Devices aimed at the listener,
 * a new file Device, and a stored one moved elsewhere. */
static char *attack_body(void)
{
	static char body[16384];
	char a[2048], b[2048], c[512], e[512], creds[800];
	snprintf(creds, sizeof(creds), "{file: %s}", secret_file);
	snprintf(body, sizeof(body), "%s%s%s%s%s", service,
	         f5_device(a, sizeof(a), "evil-env", "{env: WEFT_GUARD_SECRET}"),
	         f5_device(b, sizeof(b), "evil-file", creds),
	         file_device(c, sizeof(c), "fresh", "fresh-dir"),
	         file_device(e, sizeof(e), "move", "moved-dir"));
	return body;
}

static void test_read_takes_no_body(void **state)
{
	char *body = attack_body();
	http_resp r;
	assert_int_equal(request("GET", "/v1/plan", VIEWER, body, &r), 400);
	assert_non_null(strstr(json_string_value(json_object_get(r.json, "error")),
	                       "takes no request body"));
	http_resp_free(&r);
	assert_int_equal(status_of("GET", "/v1/plan", ADMIN, body), 400);
	assert_int_equal(status_of("GET", "/v1/status", VIEWER, "x: 1\n"), 400);
	/* without a body a viewer still gets the plan of the stored policy */
	assert_int_equal(status_of("GET", "/v1/plan", VIEWER, NULL), 200);
	assert_int_equal(listener_connections(300), 0);
	assert_false(dir_exists("fresh-dir"));
	assert_false(dir_exists("moved-dir"));
}

static json_t *plan_of(json_t *plan, const char *device)
{
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(plan, "devices"), i, p)
	{
		if (!strcmp(json_string_value(json_object_get(p, "device")), device))
			return p;
	}
	return NULL;
}

static void test_plan_is_offline_for_new_devices(void **state)
{
	http_resp r;
	assert_int_equal(request("POST", "/v1/plan", ADMIN, attack_body(), &r), 200);
	const char *offline[] = {"infra/evil-env", "infra/evil-file", "infra/fresh", "infra/move"};
	for (size_t i = 0; i < 4; i++) {
		json_t *p = plan_of(r.json, offline[i]);
		assert_non_null(p);
		assert_true(json_is_false(json_object_get(p, "contacted")));
		assert_non_null(strstr(json_string_value(json_object_get(p, "note")),
		                       "not contacted: not in the stored policy"));
		assert_null(json_object_get(p, "error"));
		/* planned against an empty device: everything is created */
		assert_true(json_array_size(json_object_get(p, "ops")) > 0);
	}
	/* the unchanged stored Device is planned as usual */
	json_t *keep = plan_of(r.json, "infra/keep");
	assert_non_null(keep);
	assert_null(json_object_get(keep, "contacted"));
	assert_null(strstr(r.body, SECRET));
	http_resp_free(&r);
	assert_int_equal(listener_connections(500), 0);
	assert_false(dir_exists("fresh-dir"));
	assert_false(dir_exists("moved-dir"));
	assert_true(dir_exists("keep"));
	/* weftctl plan says so too */
	char path[800], dev[512], *out = NULL;
	snprintf(path, sizeof(path), "%s/fresh.yaml", d.dir);
	assert_int_equal(ts_write_file(path, file_device(dev, sizeof(dev), "fresh", "fresh-dir")),
	                 0);
	assert_int_equal(wctl_run(&d, &out, "--token", ADMIN, "plan", "-f", path, NULL), 0);
	assert_non_null(strstr(out, "device infra/fresh (file): "));
	assert_non_null(strstr(out, "(not contacted: not in the stored policy"));
	free(out);
	assert_false(dir_exists("fresh-dir"));
}

/* The control: once an admin stores the f5 Device, weftd does connect to
 * it, so the listener above would have seen a dry-run's connection. */
static void test_stored_device_is_contacted(void **state)
{
	char dev[2048];
	assert_int_equal(
	        status_of("POST", "/v1/apply", ADMIN,
	                  f5_device(dev, sizeof(dev), "evil-env", "{env: WEFT_GUARD_SECRET}")),
	        200);
	assert_true(listener_connections(10000) > 0);
}

/* A raw request of headers only; the status of the answer that comes
 * before any body byte is sent, or -1 when none came within 5 s. */
static int status_before_body(const char *head)
{
	int port = atoi(strrchr(d.addr, ':') + 1);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET,
	                        .sin_port = htons((uint16_t)port),
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    write(fd, head, strlen(head)) != (ssize_t)strlen(head)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	char buf[256];
	size_t n = 0;
	long long end = ts_now_ms() + 5000;
	while (n < sizeof(buf) - 1 && !memchr(buf, '\n', n)) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		long long left = end - ts_now_ms();
		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			break;
		ssize_t got = read(fd, buf + n, sizeof(buf) - 1 - n);
		if (got <= 0)
			break;
		n += (size_t)got;
	}
	close(fd);
	buf[n] = '\0';
	int status = -1;
	if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
		return -1;
	return status;
}

static void test_refused_on_headers(void **state)
{
	const char *anon =
	        "POST /v1/apply HTTP/1.1\r\nHost: t\r\nContent-Type: application/yaml\r\n"
	        "Content-Length: 16000000\r\n\r\n";
	assert_int_equal(status_before_body(anon), 401);
	const char *bad = "POST /v1/apply HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer "
	                  "wrong-token-0123456789abcdef\r\nContent-Length: 16000000\r\n\r\n";
	assert_int_equal(status_before_body(bad), 401);
	const char *viewer = "POST /v1/apply HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " VIEWER
	                     "\r\nContent-Length: 16000000\r\n\r\n";
	assert_int_equal(status_before_body(viewer), 403);
	const char *read = "GET /v1/plan HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " VIEWER
	                   "\r\nContent-Length: 5000\r\n\r\n";
	assert_int_equal(status_before_body(read), 400);
	const char *chunked = "GET /v1/plan HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " ADMIN
	                      "\r\nTransfer-Encoding: chunked\r\n\r\n";
	assert_int_equal(status_before_body(chunked), 400);
	/* an admin's announced body is awaited, not refused */
	const char *admin = "POST /v1/apply HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " ADMIN
	                    "\r\nContent-Length: 16000000\r\n\r\n";
	long long t0 = ts_now_ms();
	assert_int_equal(status_before_body(admin), -1);
	assert_true(ts_now_ms() - t0 >= 4000);
	/* 16 MiB sent whole without a token: 401, never parsed */
	size_t big = (size_t)16 << 20;
	char *body = malloc(big);
	assert_non_null(body);
	memset(body, 'x', big);
	http_resp r;
	assert_int_equal(
	        http_do(d.url, "POST", "/v1/apply", NULL, "application/yaml", body, big - 1, &r),
	        0);
	free(body);
	assert_int_equal(r.status, 401);
	http_resp_free(&r);
}

static long long vm_kib(pid_t pid, const char *field)
{
	char path[64], *s;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (!(s = ts_read_file(path, NULL)))
		return -1;
	char *p = strstr(s, field);
	long long kb = p ? atoll(p + strlen(field) + 1) : -1;
	free(s);
	return kb;
}

static void test_error_lists_are_bounded(void **state)
{
	size_t n_docs = ((size_t)1 << 20) / 9, len = n_docs * 9;
	char *body = malloc(len + 1);
	assert_non_null(body);
	for (size_t i = 0; i < n_docs; i++)
		memcpy(body + i * 9, "---\nx: 1\n", 9);
	body[len] = '\0';
	http_resp r;
	assert_int_equal(http_do(d.url, "POST", "/v1/apply?dryRun=true", ADMIN, "application/yaml",
	                         body, len, &r),
	                 0);
	if (r.status != 422)
		fprintf(stderr, "%.600s\n", r.body);
	assert_int_equal(r.status, 422);
	json_t *errors = json_object_get(r.json, "errors");
	assert_int_equal(json_array_size(errors), 1001);
	long long omitted = json_integer_value(json_object_get(r.json, "omitted"));
	unsigned long long total = 0;
	assert_int_equal(sscanf(json_string_value(json_object_get(r.json, "error")),
	                        "policy is invalid: %llu problem", &total),
	                 1);
	assert_true(total > n_docs);
	assert_int_equal((unsigned long long)omitted + 1000, total);
	char more[96];
	snprintf(more, sizeof(more), "... and %lld more errors", omitted);
	assert_string_equal(
	        json_string_value(json_object_get(json_array_get(errors, 1000), "message")), more);
	assert_true(strlen(r.body) < 300000);
	http_resp_free(&r);
	free(body);
	/* peak memory of the whole run so far, this body included */
	long long hwm = vm_kib(d.pid, "VmHWM:");
	fprintf(stderr, "weftd peak RSS after the broken body: %lld KiB\n", hwm);
	assert_true(hwm > 0);
	assert_true(hwm < MAX_PEAK_KIB);
}

/* weftd stops cleanly (exit 0: under ASan, no error or leak either) */
static void test_stops_cleanly(void **state)
{
	int rc = wd_stop(&d);
	if (rc != 0) {
		char *log = wd_log(&d);
		fprintf(stderr, "weftd exited %d; its log:\n%s\n", rc, log ? log : "");
		free(log);
	}
	assert_int_equal(rc, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_store_policy),
	        cmocka_unit_test(test_read_takes_no_body),
	        cmocka_unit_test(test_plan_is_offline_for_new_devices),
	        cmocka_unit_test(test_refused_on_headers),
	        cmocka_unit_test(test_error_lists_are_bounded),
	        cmocka_unit_test(test_stored_device_is_contacted),
	        cmocka_unit_test(test_stops_cleanly),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
