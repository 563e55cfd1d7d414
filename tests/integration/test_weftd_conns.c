/* Integration test of the API's connection limits (docs/security.md)
 * against one weftd with a viewer token, all on loopback (other source
 * addresses of 127.0.0.0/8 stand for other clients):
 *   - 700 idle sockets (100 from one address, 600 from ten others) do not
 *     take the API down: /healthz and an authenticated read still answer
 *     within a bounded time, every idle socket is closed by the header
 *     timeout, and the refusals are logged at most once a second;
 *   - a slowloris client trickling a header line every 2 s is dropped at
 *     the header deadline, while an authenticated keep-alive connection
 *     idle for as long is still served. */
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

#define VIEWER    "viewer-token-0123456789abcdef"
#define N_IDLE    700
#define HEADER_MS 10000 /* WEFT_API_HEADER_TIMEOUT_S */

static wd d;
static int api_port;

static int group_setup(void **state)
{
	if (wd_init(&d, "weft-it-conns") != 0)
		return -1;
	char tokens[700];
	snprintf(tokens, sizeof(tokens), "%s/tokens", d.dir);
	if (ts_write_file(tokens, VIEWER " viewer bob\n"))
		return -1;
	chmod(tokens, 0600);
	const char *extra[] = {"--tokens", tokens, NULL};
	if (wd_start(&d, extra) != 0)
		return -1;
	api_port = atoi(strrchr(d.addr, ':') + 1);
	return 0;
}

static int group_teardown(void **state)
{
	wd_cleanup(&d);
	return 0;
}

/* A connection to the API from source address src (127.x.y.z). */
static int connect_from(const char *src, int nonblock)
{
	int fd = socket(AF_INET, SOCK_STREAM | (nonblock ? SOCK_NONBLOCK : 0), 0);
	struct sockaddr_in s = {.sin_family = AF_INET}, a = {.sin_family = AF_INET};
	inet_pton(AF_INET, src, &s.sin_addr);
	a.sin_port = htons((uint16_t)api_port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&s, sizeof(s)) ||
	    (connect(fd, (struct sockaddr *)&a, sizeof(a)) && errno != EINPROGRESS)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Whether the peer closed fd (EOF or reset), waiting up to wait_ms. */
static int closed_by_peer(int fd, int wait_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	if (poll(&p, 1, wait_ms) <= 0)
		return 0;
	char buf[512];
	ssize_t n = read(fd, buf, sizeof(buf));
	return n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR);
}

/* Reads one response (headers, then Content-Length bytes); its status, or
 * -1 on timeout or close. */
static int read_response(int fd, int timeout_ms)
{
	char buf[8192];
	size_t n = 0;
	long long end = ts_now_ms() + timeout_ms;
	char *hdr_end = NULL;
	long need = -1;
	for (;;) {
		buf[n] = '\0';
		if (!hdr_end && (hdr_end = strstr(buf, "\r\n\r\n"))) {
			char *cl = strcasestr(buf, "\r\nContent-Length:");
			need = (long)(hdr_end + 4 - buf) + (cl ? atol(cl + 17) : 0);
		}
		if (hdr_end && (long)n >= need)
			break;
		long long left = end - ts_now_ms();
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (n >= sizeof(buf) - 1 || left <= 0 || poll(&p, 1, (int)left) <= 0)
			return -1;
		ssize_t got = read(fd, buf + n, sizeof(buf) - 1 - n);
		if (got <= 0)
			return -1;
		n += (size_t)got;
	}
	int status = -1;
	return sscanf(buf, "HTTP/1.%*d %d", &status) == 1 ? status : -1;
}

static int count_lines(const char *log, const char *what)
{
	int n = 0;
	for (const char *p = log; (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

static void test_idle_flood(void **state)
{
	int fds[N_IDLE];
	long long t0 = ts_now_ms();
	for (int i = 0; i < N_IDLE; i++) {
		char src[32];
		/* 100 from one address (beyond its per-IP limit of 64), 600 from
		 * ten others (within it, but beyond the pool of 512 in all) */
		snprintf(src, sizeof(src), "127.0.0.%d", i < 100 ? 2 : 3 + i % 10);
		fds[i] = connect_from(src, 1);
		assert_true(fds[i] >= 0);
	}
	/* every connect completes (queued by the kernel, accepted or not) */
	for (int i = 0; i < N_IDLE; i++) {
		struct pollfd p = {.fd = fds[i], .events = POLLOUT};
		long long left = t0 + 5000 - ts_now_ms();
		assert_int_equal(poll(&p, 1, left > 0 ? (int)left : 0), 1);
	}
	/* a probe without a token, and an authenticated read, still answer */
	long long t1 = ts_now_ms();
	http_resp r;
	assert_int_equal(http_do(d.url, "GET", "/healthz", NULL, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	http_resp_free(&r);
	assert_int_equal(http_do(d.url, "GET", "/v1/status", VIEWER, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	http_resp_free(&r);
	long long answered_ms = ts_now_ms() - t1;
	fprintf(stderr, "with %d idle sockets: /healthz + /v1/status in %lld ms\n", N_IDLE,
	        answered_ms);
	assert_true(answered_ms < 3000);
	/* every idle socket is closed by the header timeout */
	int open = 0;
	for (int i = 0; i < N_IDLE; i++) {
		long long left = t0 + HEADER_MS + 4000 - ts_now_ms();
		if (!closed_by_peer(fds[i], left > 0 ? (int)left : 0)) {
			if (open < 5)
				fprintf(stderr, "still open: socket %d\n", i);
			open++;
		}
		close(fds[i]);
	}
	long long elapsed = ts_now_ms() - t0;
	fprintf(stderr, "idle sockets still open after %lld ms: %d\n", elapsed, open);
	assert_int_equal(open, 0);
	/* refusals and closes are logged at most once a second per kind */
	char *log = wd_log(&d);
	int lines = count_lines(log, "http server") + count_lines(log, "api connection closed");
	fprintf(stderr, "refusal log lines: %d in %lld ms\n", lines, elapsed);
	assert_true(lines >= 1);
	assert_true(lines <= 2 * (int)(elapsed / 1000 + 2));
	assert_non_null(strstr(log, "suppressed="));
	free(log);
}

static void test_slowloris(void **state)
{
	/* an authenticated keep-alive connection: one request now */
	int keep = connect_from("127.0.0.1", 0);
	assert_true(keep >= 0);
	const char *req =
	        "GET /v1/status HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " VIEWER "\r\n\r\n";
	assert_int_equal(write(keep, req, strlen(req)), (ssize_t)strlen(req));
	assert_int_equal(read_response(keep, 5000), 200);
	/* the slow client: a request line, then a header line every 2 s */
	int slow = connect_from("127.0.0.20", 0);
	assert_true(slow >= 0);
	long long t0 = ts_now_ms();
	const char *line = "GET /v1/status HTTP/1.1\r\n";
	assert_int_equal(write(slow, line, strlen(line)), (ssize_t)strlen(line));
	long long dropped_ms = -1;
	for (int i = 0; dropped_ms < 0 && ts_now_ms() - t0 < HEADER_MS + 5000; i++) {
		if (closed_by_peer(slow, 2000)) {
			dropped_ms = ts_now_ms() - t0;
			break;
		}
		char h[64];
		snprintf(h, sizeof(h), "X-Slow-%d: 1\r\n", i);
		if (write(slow, h, strlen(h)) < 0) {
			dropped_ms = ts_now_ms() - t0;
			break;
		}
	}
	close(slow);
	fprintf(stderr, "slowloris client dropped after %lld ms\n", dropped_ms);
	assert_true(dropped_ms >= HEADER_MS - 1000);
	assert_true(dropped_ms <= HEADER_MS + 2000);
	/* the authenticated connection, idle as long, is still served */
	assert_int_equal(write(keep, req, strlen(req)), (ssize_t)strlen(req));
	assert_int_equal(read_response(keep, 5000), 200);
	close(keep);
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
	        cmocka_unit_test(test_idle_flood),
	        cmocka_unit_test(test_slowloris),
	        cmocka_unit_test(test_stops_cleanly),

	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
