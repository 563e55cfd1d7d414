/* Atomic transactions over a mixed fleet (fleet.h: a file device in push
 * group 0, two ncsim NETCONF devices in group 1, f5sim in group 2):
 *
 * - a NETCONF device rejects its commit: the transaction rolls back, the
 *   F5 never commits anything and every other device holds the previous
 *   weights; the record names the device; the whole transaction is retried
 *   and commits once the fault is gone;
 * - the F5's commit fails after both NETCONF devices committed (f5sim's
 *   /sim/fail-commits): the NETCONF devices are rolled back (cancel-commit,
 *   inverse edit of running) to the previous weights;
 * - `weftctl rollback REV` brings every device back to REV's weights.
 *
 * Every check of "what the device holds" reads the simulator back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet.h"
#include "testsupport.h"

static int setup(void **state)
{
	fleet *f = calloc(1, sizeof(*f));
	*state = f;
	if (f && fleet_start(f, NULL) == 0)
		return 0;
	if (f)
		fleet_stop(f); /* cmocka runs no teardown after a failed setup */
	free(f);
	*state = NULL;
	return -1;
}

static int teardown(void **state)
{
	fleet *f = *state;
	int rc = 0;
	if (f) {
		rc = fleet_stop(f);
		free(f);
	}
	return rc;
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

/* Revision 1 (weights 3/1) committed on every device. */
static long long initial(fleet *f)
{
	long long rev = fleet_apply(f, 3, 1);
	assert_true(rev > 0);
	json_t *t = fleet_txn(f, rev, "committed", 20000);
	assert_non_null(t);
	json_decref(t);
	assert_int_equal(fleet_wait_hold(f, 3, 1, 5000), 0);
	assert_int_equal(fleet_wait_in_sync(f, rev, 5000), 0);
	return rev;
}

static void assert_result(json_t *txn, const char *device, const char *result)
{
	json_t *d = fleet_txn_device(txn, device);
	assert_non_null(d);
	if (strcmp(str(d, "result"), result))
		fprintf(stderr, "device %s: result %s, expected %s\n", device, str(d, "result"),
		        result);
	assert_string_equal(str(d, "result"), result);
}

static void assert_nc_fault(fleet *f, int idx, const char *body)
{
	char path[64];
	http_resp r;
	snprintf(path, sizeof(path), "/devices/%d/faults", idx);
	assert_int_equal(fleet_nc(f, "POST", path, body, &r), 0);
	assert_int_equal(r.status, 200);
	http_resp_free(&r);
}

/* nc-a (candidate + confirmed commit) rejects its commit. nc-a and nc-b
 * apply in parallel (group 1) after the file device (group 0): nc-b and
 * the files are rolled back, the F5 (group 2) is never applied. */
static void test_netconf_commit_rejected(void **state)
{
	fleet *f = *state;
	initial(f);
	long long gen = fleet_f5_generation(f);
	assert_true(gen > 0);
	assert_nc_fault(f, 0, "{\"reject_next_commit\": true}");

	long long rev = fleet_apply(f, 5, 2);
	assert_true(rev > 0);
	json_t *t = fleet_txn(f, rev, NULL, 20000);
	assert_non_null(t);
	/* read back at once: the retry comes 1 s after the failure */
	char what[512];
	int held = fleet_all_hold(f, 3, 1, what, sizeof(what));
	long long gen_after = fleet_f5_generation(f);
	if (!held)
		fprintf(stderr, "after the rolled-back transaction: %s\n", what);
	assert_true(held);
	assert_int_equal(gen_after, gen); /* nothing committed on the F5 at all */

	assert_string_equal(str(t, "outcome"), "rolled-back");
	assert_non_null(strstr(str(t, "cause"), "infra/nc-a"));
	assert_non_null(strstr(str(t, "cause"), "commit rejected"));
	assert_result(t, "infra/nc-a", "failed");
	assert_result(t, "infra/nc-b", "rolled-back");
	assert_result(t, "infra/files", "rolled-back");
	assert_result(t, "infra/bigip", "not-applied");
	long long id = json_integer_value(json_object_get(t, "id"));
	json_decref(t);

	/* The fault is one-shot: clear it explicitly all the same, and the
	 * whole transaction is retried until it commits. */
	assert_nc_fault(f, 0, "{\"reject_next_commit\": false}");
	t = fleet_txn(f, rev, "committed", 20000);
	assert_non_null(t);
	assert_true(json_integer_value(json_object_get(t, "id")) > id);
	assert_result(t, "infra/nc-a", "applied");
	assert_result(t, "infra/nc-b", "applied");
	assert_result(t, "infra/files", "applied");
	assert_result(t, "infra/bigip", "applied");
	json_decref(t);
	assert_int_equal(fleet_wait_hold(f, 5, 2, 5000), 0);
	assert_true(fleet_f5_generation(f) > gen);
	assert_int_equal(fleet_wait_in_sync(f, rev, 5000), 0);
}

/* The F5's commit fails after nc-a (confirmed commit) and nc-b (running)
 * committed: both are rolled back to the previous weights, nc-a with a
 * cancel-commit, nc-b with the inverse edit of running. */
static void test_f5_commit_fails_after_netconf(void **state)
{
	fleet *f = *state;
	initial(f);
	http_resp r;
	assert_int_equal(fleet_f5(f, "POST", "/sim/fail-commits", "{\"count\": 1}", 0, &r), 0);
	assert_int_equal(r.status, 200);
	http_resp_free(&r);
	for (int i = 0; i < 2; i++) {
		char path[64];
		snprintf(path, sizeof(path), "/devices/%d/log", i);
		assert_int_equal(fleet_nc(f, "DELETE", path, NULL, &r), 0);
		http_resp_free(&r);
	}

	long long rev = fleet_apply(f, 6, 1);
	assert_true(rev > 0);
	json_t *t = fleet_txn(f, rev, NULL, 20000);
	assert_non_null(t);
	char what[512];
	int held = fleet_all_hold(f, 3, 1, what, sizeof(what));
	if (!held)
		fprintf(stderr, "after the rolled-back transaction: %s\n", what);
	assert_true(held);
	/* the NETCONF devices had committed, then were rolled back */
	assert_int_equal(fleet_nc_count_op(f, 0, "cancel-commit"), 1);
	assert_true(fleet_nc_count_op(f, 0, "commit") >= 1);
	assert_true(fleet_nc_count_op(f, 1, "edit-config") >= 3); /* test, apply, inverse */

	assert_string_equal(str(t, "outcome"), "rolled-back");
	assert_non_null(strstr(str(t, "cause"), "infra/bigip"));
	assert_non_null(strstr(str(t, "cause"), "injected by /sim/fail-commits"));
	assert_result(t, "infra/bigip", "failed");
	assert_result(t, "infra/nc-a", "rolled-back");
	assert_result(t, "infra/nc-b", "rolled-back");
	assert_result(t, "infra/files", "rolled-back");
	long long id = json_integer_value(json_object_get(t, "id"));
	json_decref(t);
	assert_int_equal(fleet_f5(f, "GET", "/sim/faults", NULL, 0, &r), 0);
	assert_int_equal(json_integer_value(json_object_get(r.json, "failCommits")), 0);
	http_resp_free(&r);

	/* the count is used up: the retry commits everywhere */
	t = fleet_txn(f, rev, "committed", 20000);
	assert_non_null(t);
	assert_true(json_integer_value(json_object_get(t, "id")) > id);
	json_decref(t);
	assert_int_equal(fleet_wait_hold(f, 6, 1, 5000), 0);
	assert_int_equal(fleet_wait_in_sync(f, rev, 5000), 0);
}

/* weftctl rollback REV: a new revision with REV's content, pushed as one
 * transaction, every device back to REV's weights. */
static void test_rollback_to_older_revision(void **state)
{
	fleet *f = *state;
	long long old = initial(f);
	long long rev = fleet_apply(f, 7, 4);
	assert_true(rev > old);
	assert_int_equal(fleet_wait_hold(f, 7, 4, 20000), 0);
	assert_int_equal(fleet_wait_in_sync(f, rev, 5000), 0);

	long long head = fleet_rollback(f, old);
	assert_true(head > rev);
	json_t *t = fleet_txn(f, head, "committed", 20000);
	assert_non_null(t);
	assert_result(t, "infra/bigip", "applied");
	assert_result(t, "infra/nc-a", "applied");
	assert_result(t, "infra/nc-b", "applied");
	assert_result(t, "infra/files", "applied");
	json_decref(t);
	assert_int_equal(fleet_wait_hold(f, 3, 1, 5000), 0);
	assert_int_equal(fleet_wait_in_sync(f, head, 5000), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_netconf_commit_rejected, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_f5_commit_fails_after_netconf, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_rollback_to_older_revision, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
