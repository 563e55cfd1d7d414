/* The proxy fleet inside network-wide transactions (issue 6): the mixed
 * fleet of fleet.h (files, two ncsim NETCONF devices, f5sim) plus
 * FLEET_PROXIES xdsfleet proxies on weftd's ADS server (fleet_xds.h).
 * Proxies of the xDS default feed follow the controller's committed intent,
 * so in atomic mode they must switch only when a transaction commits, and
 * never to a rolled-back revision:
 *
 * - a NETCONF device rejects its commit, twice in a row (the fault is
 *   re-armed after the first failure, so the retry fails too): the F5 is
 *   untouched, and no proxy ever RECEIVED the new weights (xdsfleet's
 *   trace of every response) nor ACKed anything but the old revision
 *   (weftd's /v1/status); a plan taken meanwhile lists the 5 proxies as
 *   the ones the pending revision would reach. Once the fault is cleared the
 *   retry commits, and every proxy gets the new weights -- none before the
 *   committing transaction applied every device;
 * - `weftctl rollback REV`: the proxies get REV's weights back (at the new
 *   revision);
 * - `weftctl plan -f` (a candidate change) lists the connected proxies
 *   (count, node ids) and the xDS resources that change for them (shop/web's
 *   EDS), in JSON and in the table; and it changes nothing: no revision,
 *   no transaction, F5 untouched, proxies still on the old revision. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fleet_scen.h"
#include "fleet_xds.h"
#include "testsupport.h"

#define FLEET_PROXIES 5

static int setup(void **state)
{
	fleet_opts o = {.proxies = FLEET_PROXIES};
	return scen_fleet_start(state, &o);
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static long long num(json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

/* Revision 1 (weights 3/1) committed on every device and every proxy. */
static long long initial(fleet *f)
{
	long long rev = fleet_apply(f, 3, 1);
	assert_true(rev > 0);
	json_t *t = fleet_txn(f, rev, "committed", 20000);
	assert_non_null(t);
	json_decref(t);
	assert_int_equal(fleet_wait_hold(f, 3, 1, 5000), 0);
	assert_int_equal(fleet_wait_in_sync(f, rev, 5000), 0);
	assert_int_equal(fleet_proxies_wait_hold(f, 3, 1, 10000), 0);
	assert_int_equal(fleet_proxies_wait_acked(f, rev, 5000), 0);
	return rev;
}

/* What a failing transaction may not have changed: every device and
 * every proxy on 3/1 (revision held_rev), the F5 never written, and no
 * proxy ever sent 5/2. */
static void assert_nothing_moved(fleet *f, long long held_rev, long long f5_gen)
{
	char what[1024];
	int held = fleet_all_hold(f, 3, 1, what, sizeof(what));
	if (!held)
		fprintf(stderr, "devices: %s\n", what);
	assert_true(held);
	assert_int_equal(fleet_f5_generation(f), f5_gen);
	assert_int_equal(fleet_proxies_received(f, 5, 2, NULL), 0);
	held = fleet_proxies_hold(f, 3, 1, what, sizeof(what));
	if (!held)
		fprintf(stderr, "proxies: %s\n", what);
	assert_true(held);
	held = fleet_proxies_acked(f, held_rev, what, sizeof(what));
	if (!held)
		fprintf(stderr, "proxies' ACKs: %s\n", what);
	assert_true(held);
}

/* The plan's "proxies": every proxy of the default feed, which serves
 * held_rev, would get an update of shop/web's EDS (and nothing else). */
static void assert_plan_proxies(json_t *plan, long long held_rev, long long rev)
{
	json_t *p = json_object_get(plan, "proxies");
	if (!p || json_object_get(p, "error")) {
		char *dump = json_dumps(plan, JSON_INDENT(2));
		fprintf(stderr, "plan: %s\n", dump ? dump : "?");
		free(dump);
	}
	assert_non_null(p);
	assert_int_equal(num(p, "revision"), rev);
	assert_int_equal(num(p, "connected"), FLEET_PROXIES);
	assert_int_equal(num(p, "affected"), FLEET_PROXIES);
	assert_int_equal(num(p, "unassigned"), 0);
	json_t *feeds = json_object_get(p, "feeds");
	assert_int_equal(json_array_size(feeds), 1);
	json_t *feed = json_array_get(feeds, 0);
	assert_string_equal(str(feed, "feed"), "(default)");
	assert_int_equal(num(feed, "held_revision"), held_rev);
	assert_int_equal(num(feed, "proxies"), FLEET_PROXIES);
	assert_int_equal(num(feed, "affected"), FLEET_PROXIES);
	/* weights live in EDS only: one resource updated, nothing else */
	json_t *changes = json_object_get(feed, "changes");
	assert_int_equal(json_object_size(changes), 1);
	json_t *upd = json_object_get(json_object_get(changes, "eds"), "update");
	assert_int_equal(json_array_size(upd), 1);
	assert_string_equal(json_string_value(json_array_get(upd, 0)), FLEET_WEB_CLUSTER);
	json_t *groups = json_object_get(feed, "groups");
	assert_int_equal(json_array_size(groups), 1);
	json_t *g = json_array_get(groups, 0);
	assert_int_equal(num(g, "count"), FLEET_PROXIES);
	assert_true(json_equal(json_object_get(g, "changes"), changes));
	json_t *nodes = json_object_get(g, "nodes");
	assert_int_equal(json_array_size(nodes), FLEET_PROXIES);
	for (int i = 0; i < FLEET_PROXIES; i++) {
		char node[64];
		int found = 0;
		size_t k;
		json_t *n;
		snprintf(node, sizeof(node), "%s-%d", FLEET_PROXY_PREFIX, i);
		json_array_foreach(nodes, k, n) found |= !strcmp(json_string_value(n), node);
		assert_true(found);
	}
}

static void nc_fault(fleet *f, int reject)
{
	scen_nc_post(f, "/devices/0/faults",
	             reject ? "{\"reject_next_commit\": true}" : "{\"reject_next_commit\": false}");
}

/* The newest rolled-back record of rev with an id above after_id. */
static json_t *next_failure(fleet *f, long long rev, long long after_id, int timeout_ms)
{
	long long end = ts_now_ms() + timeout_ms;
	while (ts_now_ms() < end) {
		json_t *t = fleet_txn(f, rev, "rolled-back", 200);
		if (t && num(t, "id") > after_id)
			return t;
		json_decref(t);
		struct timespec ts = {0, 50 * 1000000L};
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static void test_commit_rejected_proxies_stay(void **state)
{
	fleet *f = *state;
	long long rev1 = initial(f);
	long long gen = fleet_f5_generation(f);
	assert_true(gen > 0);

	nc_fault(f, 1);
	long long rev2 = fleet_apply(f, 5, 2);
	assert_true(rev2 > rev1);
	json_t *t = next_failure(f, rev2, 0, 20000);
	assert_non_null(t);
	nc_fault(f, 1); /* the retry (1 s later) fails too */
	assert_non_null(strstr(str(t, "cause"), "infra/nc-a"));
	long long id1 = num(t, "id");
	json_decref(t);
	assert_nothing_moved(f, rev1, gen);

	/* a dry run while the transaction fails: the head is rev2, the
	 * proxies serve rev1, so all of them would get the new EDS */
	char *out = NULL;
	assert_int_equal(wctl_run(&f->d, &out, "-o", "json", "plan", NULL), 0);
	json_t *plan = json_loads(out, 0, NULL);
	free(out);
	assert_non_null(plan);
	assert_plan_proxies(plan, rev1, rev2);
	json_decref(plan);

	t = next_failure(f, rev2, id1, 10000);
	assert_non_null(t);
	json_decref(t);
	assert_nothing_moved(f, rev1, gen);

	nc_fault(f, 0);
	t = fleet_txn(f, rev2, "committed", 20000);
	assert_non_null(t);
	/* the intent moves when the transaction commits: after every device
	 * applied (the phases are rounded to ms: 3 ms of slack) */
	json_t *ph = json_object_get(t, "phases_ms");
	long long started = num(t, "started_ms");
	long long applied = started + num(ph, "plan") + num(ph, "prepare") + num(ph, "apply") - 3;
	json_decref(t);
	assert_int_equal(fleet_wait_hold(f, 5, 2, 5000), 0);
	assert_int_equal(fleet_proxies_wait_hold(f, 5, 2, 10000), 0);
	assert_int_equal(fleet_proxies_wait_acked(f, rev2, 5000), 0);
	long long first = 0;
	assert_true(fleet_proxies_received(f, 5, 2, &first) >= FLEET_PROXIES);
	fprintf(stderr,
	        "committing transaction: started %lld, devices applied %lld; first proxy got "
	        "5/2 at %lld\n",
	        started, applied + 3, first);
	assert_true(first >= applied);
	assert_true(fleet_f5_generation(f) > gen);
	assert_int_equal(fleet_wait_in_sync(f, rev2, 5000), 0);
}

static void test_rollback_proxies_get_old_config(void **state)
{
	fleet *f = *state;
	long long old = initial(f);
	long long rev = fleet_apply(f, 7, 4);
	assert_true(rev > old);
	json_t *t = fleet_txn(f, rev, "committed", 20000);
	assert_non_null(t);
	json_decref(t);
	assert_int_equal(fleet_proxies_wait_hold(f, 7, 4, 10000), 0);
	assert_int_equal(fleet_proxies_wait_acked(f, rev, 5000), 0);
	/* /v1/status stays cheap with many proxies: no config dumps in it. */
	assert_int_equal(fleet_status_config_dumps(f), 0);

	long long head = fleet_rollback(f, old);
	assert_true(head > rev);
	t = fleet_txn(f, head, "committed", 20000);
	assert_non_null(t);
	json_decref(t);
	assert_int_equal(fleet_wait_hold(f, 3, 1, 5000), 0);
	assert_int_equal(fleet_proxies_wait_hold(f, 3, 1, 10000), 0);
	assert_int_equal(fleet_proxies_wait_acked(f, head, 5000), 0);
	assert_int_equal(fleet_wait_in_sync(f, head, 5000), 0);
	/* weftctl status counts the proxies that ACKed what they were sent and
	 * names the revision served (not "revision 0": the server sends no
	 * xds.revision); polled, since other types may still be in flight */
	char want[160], *out = NULL;
	snprintf(want, sizeof(want),
	         "xds: %d proxies connected, %d ACKed what they were sent (serving revision %lld)",
	         FLEET_PROXIES, FLEET_PROXIES, head);
	long long end = ts_now_ms() + 5000;
	do {
		free(out);
		out = NULL;
		wctl_run(&f->d, &out, "status", NULL);
	} while (!strstr(out, want) && ts_now_ms() < end && usleep(50000) == 0);
	if (!strstr(out, want))
		fprintf(stderr, "want '%s', weftctl status said:\n%s\n", want, out);
	assert_non_null(strstr(out, want));
	free(out);
}

static void test_plan_lists_proxies_changes_nothing(void **state)
{
	fleet *f = *state;
	long long rev1 = initial(f);
	long long gen = fleet_f5_generation(f);
	char path[1024], *out = NULL;
	snprintf(path, sizeof(path), "%s/candidate.yaml", f->root);
	assert_int_equal(fleet_write_policy(f, 5, 2, path), 0);

	assert_int_equal(wctl_run(&f->d, &out, "-o", "json", "plan", "-f", path, NULL), 0);
	json_t *plan = json_loads(out, 0, NULL);
	free(out);
	assert_non_null(plan);
	assert_int_equal(num(plan, "revision"), rev1 + 1);
	assert_plan_proxies(plan, rev1, rev1 + 1);
	json_decref(plan);

	/* the table: a line per feed and a row per group of proxies */
	out = NULL;
	assert_int_equal(wctl_run(&f->d, &out, "plan", "-f", path, NULL), 0);
	char want[128];
	snprintf(want, sizeof(want), "proxies: %d connected, %d would receive the change",
	         FLEET_PROXIES, FLEET_PROXIES);
	if (!strstr(out, want) || !strstr(out, "eds update " FLEET_WEB_CLUSTER))
		fprintf(stderr, "weftctl plan:\n%s\n", out);
	assert_non_null(strstr(out, want));
	assert_non_null(strstr(out, "feed (default) (serves revision"));
	assert_non_null(strstr(out, "eds update " FLEET_WEB_CLUSTER));
	assert_non_null(strstr(out, FLEET_PROXY_PREFIX "-0"));
	free(out);

	/* nothing changed anywhere */
	assert_int_equal(wd_head(&f->d, NULL), rev1);
	assert_null(fleet_txn(f, rev1 + 1, NULL, 300));
	assert_nothing_moved(f, rev1, gen);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_commit_rejected_proxies_stay, setup,
	                                        scen_fleet_teardown),
	        cmocka_unit_test_setup_teardown(test_rollback_proxies_get_old_config, setup,
	                                        scen_fleet_teardown),
	        cmocka_unit_test_setup_teardown(test_plan_lists_proxies_changes_nothing, setup,
	                                        scen_fleet_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
