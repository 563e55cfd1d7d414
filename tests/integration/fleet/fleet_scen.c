/* Mixed-fleet scenarios shared by the test programs (fleet_scen.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fleet_scen.h"
#include "testsupport.h"

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* weft's per-device status on stderr, one line per device. */
static void print_status(fleet *f)
{
	http_resp r;
	if (http_do(f->d.url, "GET", "/v1/status", NULL, NULL, NULL, 0, &r))
		return;
	size_t i;
	json_t *d;
	json_array_foreach(json_object_get(r.json, "devices"), i, d)
	{
		char *drift = json_dumps(json_object_get(d, "drift"), JSON_ENCODE_ANY);
		fprintf(stderr, "weft status: %s %s revision %lld drift %s\n",
		        json_string_value(json_object_get(d, "name")),
		        json_string_value(json_object_get(d, "state")),
		        (long long)json_integer_value(json_object_get(d, "revision")),
		        drift ? drift : "?");
		free(drift);
	}
	http_resp_free(&r);
}

void scen_nc_post(fleet *f, const char *path, const char *body)
{
	http_resp r;
	assert_int_equal(fleet_nc(f, "POST", path, body, &r), 0);
	assert_int_equal(r.status, 200);
	http_resp_free(&r);
}

int scen_nc_confirm_pending(fleet *f, int idx)
{
	char path[64];
	http_resp r;
	snprintf(path, sizeof(path), "/devices/%d", idx);
	assert_int_equal(fleet_nc(f, "GET", path, NULL, &r), 0);
	int pending = json_is_true(json_object_get(r.json, "confirmed_commit_pending"));
	http_resp_free(&r);
	return pending;
}

/* Polls nc-a's RPC log until it received op with marker in its XML. */
static int wait_nc_a_rpc(fleet *f, const char *op, const char *marker, int timeout_ms)
{
	long long end = ts_now_ms() + timeout_ms;
	while (ts_now_ms() < end) {
		http_resp r;
		int seen = 0;
		if (fleet_nc(f, "GET", "/devices/0/log", NULL, &r) == 0) {
			size_t i;
			json_t *e;
			json_array_foreach(json_object_get(r.json, "entries"), i, e)
			{
				const char *o = json_string_value(json_object_get(e, "op"));
				const char *xml = json_string_value(json_object_get(e, "xml"));
				seen |= o && xml && !strcmp(o, op) && strstr(xml, marker);
			}
			http_resp_free(&r);
		}
		if (seen)
			return 0;
		sleep_ms(10);
	}
	return -1;
}

/* What the kill left: asserted, so that the scenario is the one named. */
static void assert_left(fleet *f, enum scen_kill_point at)
{
	int w[2];
	assert_int_equal(fleet_weights_of(f, FLEET_F5, w), 0);
	assert_int_equal(w[0], 3); /* group 2: never applied */
	assert_int_equal(fleet_weights_of(f, FLEET_NC_A, w), 0);
	if (at == SCEN_KILL_IN_PREPARE) {
		assert_int_equal(w[0], 3);
		assert_false(scen_nc_confirm_pending(f, 0));
		assert_int_equal(fleet_weights_of(f, FLEET_FILE, w), 0);
		assert_int_equal(w[0], 3); /* group 0: not applied before prepare ends */
	} else {
		assert_int_equal(w[0], 5);
		assert_true(scen_nc_confirm_pending(f, 0));
	}
}

void scen_kill_mid_transaction(fleet *f, enum scen_kill_point at)
{
	long long rev1 = fleet_apply(f, 3, 1);
	assert_true(rev1 > 0);
	assert_int_equal(fleet_wait_hold(f, 3, 1, 20000), 0);
	assert_int_equal(fleet_wait_in_sync(f, rev1, 5000), 0);

	/* nc-a answers every RPC 250 ms late: its prepare (lock, discard,
	 * edit, validate) and apply take over a second */
	http_resp r;
	assert_int_equal(fleet_nc(f, "DELETE", "/devices/0/log", NULL, &r), 0);
	http_resp_free(&r);
	scen_nc_post(f, "/devices/0/faults", "{\"latency_ms\": 250}");
	long long rev2 = fleet_apply(f, 5, 2);
	assert_true(rev2 > rev1);
	if (at == SCEN_KILL_IN_PREPARE)
		assert_int_equal(wait_nc_a_rpc(f, "edit-config", "<candidate/>", 20000), 0);
	else
		assert_int_equal(wait_nc_a_rpc(f, "commit", "<confirmed/>", 20000), 0);
	fleet_kill_weftd(f);
	long long killed_at = ts_now_ms();
	scen_nc_post(f, "/devices/0/faults", "{\"latency_ms\": 0}");
	sleep_ms(400); /* the RPC in flight on nc-a runs after its latency */
	assert_left(f, at);

	assert_int_equal(fleet_restart_weftd(f), 0);
	assert_int_equal(wd_head(&f->d, NULL), rev2);
	assert_int_equal(fleet_wait_in_sync(f, rev2, 20000), 0);
	assert_int_equal(fleet_wait_hold(f, 5, 2, 5000), 0);

	/* Past the confirm timeout of any commit the killed weftd made:
	 * the devices still hold revision 2 and weft still says so. */
	long long wait = killed_at + SCEN_CONFIRM_TIMEOUT_S * 1000 + 1500 - ts_now_ms();
	if (wait > 0)
		sleep_ms((int)wait);
	char what[512];
	int held = fleet_all_hold(f, 5, 2, what, sizeof(what));
	if (!held) {
		fprintf(stderr, "after nc-a's confirm timeout: %s\n", what);
		print_status(f);
	}
	assert_true(held);
	assert_false(scen_nc_confirm_pending(f, 0));
	assert_int_equal(fleet_wait_in_sync(f, rev2, 2000), 0);
}

void scen_f5_drift_repaired(fleet *f, int revisions)
{
	long long rev = 0;
	for (int i = revisions; i >= 1; i--) {
		rev = fleet_apply(f, 3 + i, 1); /* ..., 5/1, 4/1 */
		assert_true(rev > 0);
		assert_int_equal(fleet_wait_hold(f, 3 + i, 1, 20000), 0);
		assert_int_equal(fleet_wait_in_sync(f, rev, 5000), 0);
	}

	/* a hand edit on the BIG-IP, through iControl REST */
	http_resp r;
	assert_int_equal(fleet_f5(f, "PATCH",
	                          "/mgmt/tm/ltm/pool/~shop~shop_web_80/members/~shop~10.0.0.1:80",
	                          "{\"ratio\": 9}", 1, &r),
	                 0);
	assert_int_equal(r.status, 200);
	http_resp_free(&r);
	int w[2];
	assert_int_equal(fleet_weights_of(f, FLEET_F5, w), 0);
	assert_int_equal(w[0], 9);
	long long edited = ts_now_ms();

	/* found by a reconcile (fresh session: a full read, whatever the
	 * session cache of WEFT_F5_RESYNC_MS), repaired by a push */
	long long end = edited + 10000;
	while (ts_now_ms() < end && !(fleet_weights_of(f, FLEET_F5, w) == 0 && w[0] == 4))
		sleep_ms(50);
	fprintf(stderr, "F5 drift %s after %lld ms\n", w[0] == 4 ? "repaired" : "NOT repaired",
	        ts_now_ms() - edited);
	if (w[0] != 4)
		print_status(f);
	assert_int_equal(w[0], 4);
	assert_int_equal(w[1], 1);
	assert_int_equal(fleet_wait_hold(f, 4, 1, 1000), 0);
	assert_int_equal(wd_head(&f->d, NULL), rev); /* a repair is no new revision */
	assert_int_equal(fleet_wait_in_sync(f, rev, 5000), 0);
}

int scen_fleet_start(void **state, const fleet_opts *o)
{
	fleet *f = calloc(1, sizeof(*f));
	*state = f;
	if (f && fleet_start(f, o) == 0)
		return 0;
	if (f)
		fleet_stop(f); /* cmocka runs no teardown after a failed setup */
	free(f);
	*state = NULL;
	return -1;
}

int scen_fleet_teardown(void **state)
{
	fleet *f = *state;
	int rc = 0;
	if (f) {
		rc = fleet_stop(f);
		free(f);
	}
	return rc;
}
