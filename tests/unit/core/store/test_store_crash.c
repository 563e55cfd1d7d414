/* Crash safety: a child process commits revisions in a loop and is killed
 * with SIGKILL at a random moment; the parent then reopens the store and
 * checks that the head is complete and consistent. Each revision R rewrites
 * K resources whose JSON says R (padded, so a revision spans several pages),
 * adds "extra-R" and deletes "extra-(R-1)": a half-applied revision would
 * show mixed numbers, a missing extra or two extras. The child reports
 * every acknowledged revision on a pipe, so the test also checks that no
 * acknowledged revision is lost (head >= last acknowledged). Repeated with
 * different timings on the same store; the seed is printed. */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "store_test_util.h"
#include "testsupport.h"

#define K          8
#define ITERATIONS 12
#define RETENTION  20

static void make_json(char *buf, size_t size, int64_t rev, int i)
{
	char pad[1500];
	memset(pad, 'a' + (int)(rev % 26), sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	snprintf(buf, size, "{\"i\":%d,\"pad\":\"%s\",\"rev\":%lld}", i, pad, (long long)rev);
}

/* Never returns: commits until killed. Exit codes > 0 mean it failed. */
static void child_loop(const char *dir, int ack_fd)
{
	weft_err err = {0};
	weft_store *s = weft_store_open(dir, &err);
	if (!s) {
		fprintf(stderr, "child: %s\n", err.msg);
		_exit(2);
	}
	weft_store_set_retention(s, RETENTION);
	static char json[K + 1][1700];
	char names[K + 1][32], prev[32];
	for (;;) {
		int64_t head = weft_store_head(s), rev = head + 1;
		weft_stored ups[K + 1];
		for (int i = 0; i <= K; i++) {
			if (i < K)
				snprintf(names[i], sizeof(names[i]), "r%d", i);
			else
				snprintf(names[i], sizeof(names[i]), "extra-%lld", (long long)rev);
			make_json(json[i], sizeof(json[i]), rev, i);
			ups[i] = tst_res(WEFT_KIND_SERVICE, "crash", names[i], json[i]);
		}
		snprintf(prev, sizeof(prev), "extra-%lld", (long long)head);
		weft_key del = {WEFT_KIND_SERVICE, "crash", prev};
		int64_t got = 0;
		if (weft_store_commit(s, head, "child", "loop", ups, K + 1, &del, head ? 1 : 0,
		                      &got, &err)) {
			fprintf(stderr, "child: %s\n", err.msg);
			_exit(3);
		}
		if (write(ack_fd, &got, sizeof(got)) != sizeof(got))
			_exit(4);
	}
}

/* The head and the revision before it (if kept) must be whole. */
static void check_store(const char *dir, int64_t last_acked)
{
	weft_store *s = tst_open(dir);
	int64_t head = weft_store_head(s);
	if (head < last_acked || head > last_acked + 1)
		fail_msg("head %lld, last acknowledged %lld", (long long)head,
		         (long long)last_acked);
	weft_err err = {0};
	for (int64_t rev = head; rev >= 1 && rev >= head - 1; rev--) {
		weft_stored *items = NULL;
		size_t n = 0;
		if (weft_store_load(s, rev, &items, &n, &err))
			fail_msg("load %lld: %s", (long long)rev, err.msg);
		assert_int_equal(n, K + 1);
		char expect[1700], extra[32];
		snprintf(extra, sizeof(extra), "extra-%lld", (long long)rev);
		for (int i = 0; i <= K; i++) {
			char name[32];
			snprintf(name, sizeof(name), "r%d", i);
			make_json(expect, sizeof(expect), rev, i);
			const char *got = tst_find(items, n, WEFT_KIND_SERVICE, "crash",
			                           i < K ? name : extra);
			if (!got || strcmp(got, expect))
				fail_msg("revision %lld: %s is %.40s...", (long long)rev,
				         i < K ? name : extra, got ? got : "missing");
		}
		weft_stored_free_array(items, n);
	}
	weft_revision_info *h = NULL;
	size_t n = 0;
	assert_int_equal(weft_store_history(s, 1, &h, &n, &err), 0);
	if (head) {
		assert_int_equal(h[0].rev, head);
		assert_int_equal(h[0].resources, K + 1);
	}
	weft_revision_info_free_array(h, n);
	weft_store_close(s);
}

/* Reads acknowledged revision numbers until EOF (the child is dead). */
static int64_t drain_acks(int fd, int64_t last)
{
	int64_t rev;
	ssize_t r;
	while ((r = read(fd, &rev, sizeof(rev))) == sizeof(rev) || (r < 0 && errno == EINTR))
		if (r == sizeof(rev))
			last = rev;
	return last;
}

static void test_sigkill_during_commits(void **state)
{
	const char *dir = *state;
	unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	print_message("crash test seed %u\n", seed);
	srand(seed);
	int64_t last_acked = 0;
	for (int iter = 0; iter < ITERATIONS; iter++) {
		int fds[2];
		assert_int_equal(pipe(fds), 0);
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(fds[0]);
			child_loop(dir, fds[1]);
		}
		close(fds[1]);
		/* Odd iterations kill at a random moment after fork (possibly
		 * during open, schema creation or WAL recovery); even ones wait
		 * for the first acknowledged commit, then a random delay. */
		int64_t first = last_acked;
		if (iter % 2 == 0) {
			struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
			if (poll(&pfd, 1, 20000) != 1 ||
			    read(fds[0], &first, sizeof(first)) != sizeof(first)) {
				ts_kill9(pid);
				close(fds[0]);
				fail_msg("iteration %d: child made no commit", iter);
			}
		}
		int delay_ms = rand() % (10 + 10 * iter);
		struct timespec ts = {delay_ms / 1000, (long)(delay_ms % 1000) * 1000000L};
		nanosleep(&ts, NULL);
		ts_kill9(pid); /* SIGKILL + reap */
		int64_t acked = drain_acks(fds[0], first);
		close(fds[0]);
		assert_true(acked >= last_acked);
		last_acked = acked;
		check_store(dir, last_acked);
		weft_store *s = tst_open(dir);
		print_message("iteration %d: killed after %d ms, last acked %lld, head %lld\n",
		              iter, delay_ms, (long long)acked, (long long)weft_store_head(s));
		last_acked = weft_store_head(s);
		weft_store_close(s);
	}
}

static int setup(void **state)
{
	*state = tst_mkdir();
	return 0;
}

static int teardown(void **state)
{
	tst_rmdir(*state);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_sigkill_during_commits, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
