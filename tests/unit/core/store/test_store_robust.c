/* Store robustness: the lock file refuses a second opener (same process or
 * another one) and names the path; a garbage, damaged, truncated, foreign
 * or newer-schema weft.db gives a clear error naming the file, never a
 * crash. */
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "store_test_util.h"
#include "testsupport.h"

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

static void db_path(const char *dir, char *buf, size_t size)
{
	snprintf(buf, size, "%s/weft.db", dir);
}

static void test_lock_same_process(void **state)
{
	const char *dir = *state;
	weft_store *a = tst_open(dir);
	weft_err err = {0};
	weft_store *b = weft_store_open(dir, &err);
	assert_null(b);
	char lock[4096];
	snprintf(lock, sizeof(lock), "lock file %s/weft.lock is held by another process (pid %ld)",
	         dir, (long)getpid());
	tst_assert_contains(err.msg, lock);
	tst_assert_contains(err.msg, "another weftd");
	weft_store_close(a);
	b = tst_open(dir); /* released by close */
	weft_store_close(b);
}

/* The real case: a second process on the same state directory. */
static void test_lock_other_process(void **state)
{
	const char *dir = *state;
	int up[2], down[2];
	assert_int_equal(pipe(up), 0);
	assert_int_equal(pipe(down), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(up[0]);
		close(down[1]);
		weft_store *s = weft_store_open(dir, NULL);
		char ok = s ? 'y' : 'n';
		if (write(up[1], &ok, 1) != 1)
			_exit(3);
		char c;
		if (read(down[0], &c, 1) < 0) /* until the parent says go (or dies) */
			_exit(4);
		weft_store_close(s);
		_exit(0);
	}
	close(up[1]);
	close(down[0]);
	struct pollfd pfd = {.fd = up[0], .events = POLLIN};
	char ok = 0;
	if (poll(&pfd, 1, 10000) != 1 || read(up[0], &ok, 1) != 1 || ok != 'y') {
		ts_kill9(pid);
		fail_msg("child did not open the store");
	}
	weft_err err = {0};
	weft_store *s = weft_store_open(dir, &err);
	char expect[64];
	snprintf(expect, sizeof(expect), "(pid %ld)", (long)pid);
	int refused = s == NULL && strstr(err.msg, "weft.lock") && strstr(err.msg, expect);
	weft_store_close(s);
	close(down[1]); /* child reads EOF, closes, exits */
	int status = 0;
	waitpid(pid, &status, 0);
	close(up[0]);
	if (!refused)
		fail_msg("second process was not refused: %s", err.msg);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	s = tst_open(dir);
	weft_store_close(s);
}

static void test_garbage_file(void **state)
{
	const char *dir = *state;
	char path[4096];
	db_path(dir, path, sizeof(path));
	char garbage[8192];
	for (size_t i = 0; i < sizeof(garbage) - 1; i++)
		garbage[i] = "this is not a database, it is garbage\n"[i % 38];
	garbage[sizeof(garbage) - 1] = '\0';
	assert_int_equal(ts_write_file(path, garbage), 0);
	weft_err err = {0};
	assert_null(weft_store_open(dir, &err));
	tst_assert_contains(err.msg, path);
	tst_assert_contains(err.msg, "open");
	print_message("garbage file: %s\n", err.msg);
	tst_assert_contains(err.msg, "file is not a database");
	/* The lock is released after a failed open. */
	assert_null(weft_store_open(dir, &err));
	tst_assert_contains(err.msg, "not a database");
}

/* A valid store whose pages are then overwritten: open (integrity check)
 * or load must fail with a message; the process must not crash. */
static void test_damaged_pages(void **state)
{
	const char *dir = *state;
	weft_store *s = tst_open(dir);
	weft_stored ups[400];
	char names[400][32];
	for (int i = 0; i < 400; i++) {
		snprintf(names[i], sizeof(names[i]), "svc-%03d", i);
		ups[i] = tst_res(WEFT_KIND_SERVICE, "default", names[i],
		                 "{\"ports\":[{\"port\":80,\"protocol\":\"http\"}],"
		                 "\"padding\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}");
	}
	tst_commit(s, ups, 400, NULL, 0);
	weft_store_close(s);

	char path[4096];
	db_path(dir, path, sizeof(path));
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_true(sb.st_size > 8 * 4096);
	int fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	unsigned char junk[4096];
	unsigned seed = 7;
	for (size_t i = 0; i < sizeof(junk); i++) {
		seed = seed * 1103515245u + 12345u;
		junk[i] = (unsigned char)(seed >> 16);
	}
	for (off_t page = 1; page < sb.st_size / 4096; page += 2)
		assert_int_equal(pwrite(fd, junk, sizeof(junk), page * 4096),
		                 (ssize_t)sizeof(junk));
	close(fd);

	weft_err err = {0};
	s = weft_store_open(dir, &err);
	if (s) {
		weft_stored *items = NULL;
		size_t n = 0;
		int rc = weft_store_load(s, 0, &items, &n, &err);
		weft_stored_free_array(items, n);
		weft_store_close(s);
		assert_int_not_equal(rc, 0);
	}
	print_message("damaged file: %s\n", err.msg);
	tst_assert_contains(err.msg, path);
	tst_assert_contains(err.msg, "damaged");
}

static void test_truncated_file(void **state)
{
	const char *dir = *state;
	weft_store *s = tst_open(dir);
	tst_commit(s, (weft_stored[]){tst_res(WEFT_KIND_SERVICE, "d", "a", "{}")}, 1, NULL, 0);
	weft_store_close(s);
	char path[4096];
	db_path(dir, path, sizeof(path));
	assert_int_equal(truncate(path, 1000), 0);
	weft_err err = {0};
	s = weft_store_open(dir, &err);
	if (s) { /* SQLite may read a short file as empty pages: then loads fail */
		weft_stored *items = NULL;
		size_t n = 0;
		int rc = weft_store_load(s, 0, &items, &n, &err);
		weft_stored_free_array(items, n);
		weft_store_close(s);
		assert_int_not_equal(rc, 0);
	}
	print_message("truncated file: %s\n", err.msg);
	tst_assert_contains(err.msg, path);
}

static void test_newer_schema_refused(void **state)
{
	const char *dir = *state;
	weft_store *s = tst_open(dir);
	weft_store_close(s);
	tst_sql_exec(dir, "PRAGMA user_version = 2");
	weft_err err = {0};
	assert_null(weft_store_open(dir, &err));
	tst_assert_contains(err.msg, "weft.db: open: schema version 2 is newer than this weft "
	                             "supports (1)");
}

static void test_foreign_database_refused(void **state)
{
	const char *dir = *state;
	tst_sql_exec(dir, "CREATE TABLE t(x); INSERT INTO t VALUES (1);");
	weft_err err = {0};
	assert_null(weft_store_open(dir, &err));
	tst_assert_contains(err.msg, "weft.db: open: not a weft store");
	/* Another application's id. */
	tst_sql_exec(dir, "PRAGMA application_id = 1234; PRAGMA user_version = 1;");
	assert_null(weft_store_open(dir, &err));
	tst_assert_contains(err.msg, "not a weft store (SQLite application_id 0x000004d2");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_lock_same_process, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_lock_other_process, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_garbage_file, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_damaged_pages, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_truncated_file, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_foreign_database_refused, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
