/* Regression tests for four weft bugs the mixed-fleet tests found (all
 * fixed: 1 in adapters/netconf/ncdev_adapter.c, which now cancels a
 * confirmed commit a dead weftd left pending on its first session to the
 * device; 2-3 in core/txn.c and core/device_worker.c, which wake the
 * workers after a transaction and reconcile against the committed intent,
 * never during a transaction; 4 in core/txn_worker.c, which keeps the
 * failing phase's error through the abort). What each test caught:
 *
 * 1. A weftd restarted after a SIGKILL between nc-a's persisted confirmed
 *    commit and its confirm sees nc-a holding the head config, plans
 *    nothing for it and reports it in-sync; then the confirm timeout runs
 *    out, nc-a rolls back to the previous revision and weft still says
 *    in-sync (and no reconcile repairs it, see 2).
 * 2. core/txn.c settle_devices() sets reconcile_at_ms without waking the
 *    workers: a worker that went to sleep in the untimed
 *    pthread_cond_wait() of wait_for_work() (core/device_worker.c) because
 *    reconcile_at_ms was 0 -- every device after weftd's first
 *    transaction -- never reconciles: drift is neither seen nor repaired.
 * 3. Reconciles compare devices with the PUBLISHED snapshot, which in
 *    atomic mode is the revision being transacted (or one that rolled
 *    back): a device with drift: repair that reconciles between two phases
 *    of a transaction pushes the new revision on its own, outside the
 *    transaction; when the transaction rolls back, that device keeps it.
 * 4. The failed device's "error" in a transaction record is empty: the
 *    abort phase (core/txn_worker.c) overwrites the device's txn_err
 *    before settle_devices() copies it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet_scen.h"

static int setup_kill(void **state)
{
	fleet_opts o = {.reconcile_ms = 500, .confirm_timeout_s = SCEN_CONFIRM_TIMEOUT_S};
	return scen_fleet_start(state, &o);
}

static int setup_repair(void **state)
{
	fleet_opts o = {.reconcile_ms = 200, .f5_drift = "repair"};
	return scen_fleet_start(state, &o);
}

static int setup_plain(void **state)
{
	return scen_fleet_start(state, NULL);
}

/* bug 1 */
static void test_kill_after_confirmed_commit(void **state)
{
	scen_kill_mid_transaction(*state, SCEN_KILL_AFTER_CONFIRMED_COMMIT);
}

/* bug 2 */
static void test_drift_after_first_transaction(void **state)
{
	scen_f5_drift_repaired(*state, 1);
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

/* bug 3: nc-a (slowed down) rejects its commit; meanwhile the F5, with
 * drift: repair, reconciles between phases against the new revision. */
static void test_rolled_back_revision_not_pushed_by_repair(void **state)
{
	fleet *f = *state;
	long long rev = 0;
	for (int i = 2; i >= 1; i--) { /* two revisions: see bug 2 */
		rev = fleet_apply(f, 4 + i, 1);
		assert_true(rev > 0);
		assert_int_equal(fleet_wait_hold(f, 4 + i, 1, 20000), 0);
	}
	assert_int_equal(fleet_wait_in_sync(f, rev, 5000), 0);
	long long gen = fleet_f5_generation(f);
	/* 1 s per RPC: the automatic retry of the failed transaction (1 s
	 * backoff, then lock, discard, edit, validate, commit on nc-a) cannot
	 * commit before the F5 is read below, even on a loaded machine. */
	scen_nc_post(f, "/devices/0/faults",
	             "{\"latency_ms\": 1000, \"reject_next_commit\": true}");
	rev = fleet_apply(f, 8, 3);
	json_t *t = fleet_txn(f, rev, NULL, 20000);
	assert_non_null(t);
	assert_string_equal(str(t, "outcome"), "rolled-back");
	json_decref(t);
	int w[2];
	assert_int_equal(fleet_weights_of(f, FLEET_F5, w), 0);
	fprintf(stderr, "F5 after the rolled-back transaction: %d/%d (generation %lld -> %lld)\n",
	        w[0], w[1], gen, fleet_f5_generation(f));
	assert_int_equal(w[0], 5);
	assert_int_equal(w[1], 1);
	assert_int_equal(fleet_f5_generation(f), gen);
}

/* bug 4 */
static void test_failed_device_error_recorded(void **state)
{
	fleet *f = *state;
	long long rev = fleet_apply(f, 3, 1);
	assert_true(rev > 0);
	assert_int_equal(fleet_wait_hold(f, 3, 1, 20000), 0);
	scen_nc_post(f, "/devices/0/faults", "{\"reject_next_commit\": true}");
	rev = fleet_apply(f, 5, 2);
	json_t *t = fleet_txn(f, rev, NULL, 20000);
	assert_non_null(t);
	json_t *d = fleet_txn_device(t, "infra/nc-a");
	char result[64], error[1024];
	snprintf(result, sizeof(result), "%s", d ? str(d, "result") : "(no entry)");
	snprintf(error, sizeof(error), "%s", d ? str(d, "error") : "");
	json_decref(t); /* before any assertion: nothing leaks when one fails */
	assert_string_equal(result, "failed");
	fprintf(stderr, "infra/nc-a error in the record: \"%s\"\n", error);
	assert_non_null(strstr(error, "commit rejected"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_kill_after_confirmed_commit, setup_kill,
	                                        scen_fleet_teardown),
	        cmocka_unit_test_setup_teardown(test_drift_after_first_transaction, setup_repair,
	                                        scen_fleet_teardown),
	        cmocka_unit_test_setup_teardown(test_rolled_back_revision_not_pushed_by_repair,
	                                        setup_repair, scen_fleet_teardown),
	        cmocka_unit_test_setup_teardown(test_failed_device_error_recorded, setup_plain,
	                                        scen_fleet_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
