/* bench_ncdev: figures of the netconf adapter (prints them; not a test).
 *   1. a change pushed to N ncsim devices in parallel, one thread per
 *      device as the core's workers do, sessions kept (goal: N=100 < 2 s);
 *      the first push (SSH + NETCONF connect + full config) is shown too;
 *      "a change" replaces one endpoint (a member created, one deleted in
 *      two pools: ncsim 2024 mishandles a changed leaf value, see the doc)
 *   2. one device's edit-config + commit round trip on loopback (prepare +
 *      apply + confirm: lock, discard, edit, validate, confirmed commit,
 *      confirming commit, unlock), and the whole push with get-config and
 *      diff (goal: < 20 ms)
 *   3. push throughput against yuma123 netconfd over SSH: weft's adapter vs
 *      the same edits and RPC sequence sent by ncclient (/usr/bin/python3),
 *      as a ratio (goal: >= 5x); skipped when netconfd/sshd is missing
 * Usage: bench_ncdev [--devices N] [--rounds R]. See docs/adapter-netconf.md.
 * A failed push is no figure: it is printed with its device's error and the
 * program exits 1 (also when ncsim does not start). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ncdev_adapter.h"
#include "ncit.h"
#include "testsupport.h"

static const char *SVC =
        "apiVersion: weft/v1\nkind: Service\nmetadata: {name: web}\n"
        "spec: {protocol: tcp, ports: [{name: p, port: 80}],\n"
        "  endpoints: [{address: 10.0.0.1}, {address: 10.0.%d.2}]}\n"
        "---\n"
        "apiVersion: weft/v1\nkind: Route\nmetadata: {name: edge}\n"
        "spec: {hosts: [a.example.com], tcp: [{destinations: [{service: web}]}]}\n"
        "---\n"
        "apiVersion: weft/v1\nkind: Gateway\nmetadata: {name: gw}\n"
        "spec: {address: 192.0.2.10, listeners: [{name: l4, port: 80, protocol: tcp,"
        " hosts: [a.example.com], routes: [edge]}]}\n";

struct job {
	const weft_snapshot *snap;
	const weft_resource *dev;
	void *session;
	long long ms;
	int rc;
	weft_err err;
};

static void *push_thread(void *arg)
{
	struct job *j = arg;
	long long t0 = ts_now_ms();
	size_t ops;
	j->rc = ncit_push(&j->session, j->snap, j->dev, NULL, &ops, NULL, &j->err);
	j->ms = ts_now_ms() - t0;
	return NULL;
}

static weft_snapshot *fleet_policy(const struct ncit_sim *s, int n, int weight, int64_t rev)
{
	size_t len = 4096 + (size_t)n * 400;
	char *yaml = calloc(1, len), msg[1024] = "";
	snprintf(yaml, len, SVC, weight);
	for (int i = 0; i < n; i++) {
		char name[16];
		snprintf(name, sizeof(name), "nc%d", i);
		ncit_device_yaml(yaml, len, name, s, i, NULL);
	}
	weft_snapshot *snap = ncit_compile(yaml, rev, msg, sizeof(msg));
	if (!snap)
		fprintf(stderr, "policy: %s\n", msg);
	free(yaml);
	return snap;
}

/* All devices, at most `wave` threads at a time (n: all in parallel);
 * returns the wall time in ms, -1 on failure. */
static long long push_all(struct job *jobs, int n, const weft_snapshot *snap, int wave)
{
	pthread_t *t = calloc((size_t)n, sizeof(*t));
	long long t0 = ts_now_ms();
	int failed = 0;
	for (int w = 0; w < n; w += wave) {
		int end = w + wave < n ? w + wave : n;
		for (int i = w; i < end; i++) {
			char name[16];
			snprintf(name, sizeof(name), "nc%d", i);
			jobs[i].snap = snap;
			jobs[i].dev = ncit_device(snap, name);
			pthread_create(&t[i], NULL, push_thread, &jobs[i]);
		}
		for (int i = w; i < end; i++) {
			pthread_join(t[i], NULL);
			if (jobs[i].rc && failed++ < 3)
				fprintf(stderr, "  %s\n", jobs[i].err.msg);
		}
	}
	free(t);
	long long wall = ts_now_ms() - t0;
	return failed ? -1 : wall;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return x < y ? -1 : x > y;
}

/* 0, or -1 when ncsim did not start or a push failed (printed). */
static int fleet(int n)
{
	struct ncit_sim sim;
	if (ncit_sim_start(&sim, n, NULL))
		return -1;
	struct job *jobs = calloc((size_t)n, sizeof(*jobs));
	weft_snapshot *a = fleet_policy(&sim, n, 1, 1), *b = fleet_policy(&sim, n, 5, 2);
	/* ncsim accepts SSH on one thread: connect in waves of 10. */
	long long first = push_all(jobs, n, a, 10);
	long long change = push_all(jobs, n, b, n);
	long long *per = calloc((size_t)n, sizeof(*per));
	for (int i = 0; i < n; i++)
		per[i] = jobs[i].ms;
	qsort(per, (size_t)n, sizeof(*per), cmp_ll);
	printf("fleet: %d ncsim devices in parallel\n", n);
	if (first < 0 || change < 0)
		fprintf(stderr, "FAILED: %s push did not reach all %d devices (errors above)\n",
		        first < 0 ? "the first" : "the change", n);
	else
		printf("  first push (connect + full config, 10 at a time): %lld ms wall\n"
		       "  change pushed to all:               %lld ms wall (goal < 2000), per "
		       "device median %lld ms, max %lld ms\n",
		       first, change, per[n / 2], per[n - 1]);
	for (int i = 0; i < n; i++)
		ncit_adapter()->ops->close(ncit_adapter()->ctx, jobs[i].session);
	weft_snapshot_unref(a);
	weft_snapshot_unref(b);
	free(per);
	free(jobs);
	ncit_sim_stop(&sim);
	return first < 0 || change < 0 ? -1 : 0;
}

/* One device: R alternating changes, timing the commit phases alone. */
static int round_trip(int rounds)
{
	struct ncit_sim sim;
	if (ncit_sim_start(&sim, 1, NULL))
		return -1;
	const weft_adapter *ad = ncit_adapter()->ops;
	void *ctx = ncit_adapter()->ctx;
	weft_snapshot *snap[2] = {fleet_policy(&sim, 1, 1, 1), fleet_policy(&sim, 1, 5, 2)};
	void *session = NULL;
	long long *commit = calloc((size_t)rounds, sizeof(long long));
	long long *whole = calloc((size_t)rounds, sizeof(long long));
	weft_err err = {0};
	for (int r = 0; r < rounds; r++) {
		const weft_snapshot *s = snap[r % 2];
		const weft_resource *dev = ncit_device(s, "nc0");
		void *desired = NULL, *actual = NULL;
		weft_plan plan;
		weft_plan_init(&plan, "nc0", "netconf", r);
		long long t0 = ts_now_ms();
		int rc = session ? 0 : ad->open(ctx, dev, &session, &err);
		long long topen = ts_now_ms();
		rc = rc ? rc : ad->render(ctx, s, dev, &desired, &err);
		rc = rc ? rc : ad->observe(ctx, session, dev, &actual, &err);
		rc = rc ? rc : ad->diff(ctx, dev, desired, actual, &plan, &err);
		long long t1 = ts_now_ms();
		rc = rc ? rc : ad->prepare(ctx, session, &plan, &err);
		rc = rc ? rc : ad->apply(ctx, session, &plan, &err);
		rc = rc ? rc : ad->confirm(ctx, session, &plan, &err);
		long long t2 = ts_now_ms();
		commit[r] = t2 - t1;
		whole[r] = t2 - t0 - (topen - t0);
		weft_plan_free(&plan);
		ad->free_config(ctx, desired);
		ad->free_config(ctx, actual);
		if (rc) {
			fprintf(stderr, "FAILED: round trip %d: %s\n", r, err.msg);
			ad->close(ctx, session);
			weft_snapshot_unref(snap[0]);
			weft_snapshot_unref(snap[1]);
			free(commit);
			free(whole);
			ncit_sim_stop(&sim);
			return -1;
		}
	}
	qsort(commit + 1, (size_t)rounds - 1, sizeof(long long), cmp_ll);
	qsort(whole + 1, (size_t)rounds - 1, sizeof(long long), cmp_ll);
	int m = 1 + (rounds - 1) / 2, p90 = 1 + (rounds - 1) * 9 / 10;
	if (p90 >= rounds)
		p90 = rounds - 1;
	printf("round trip: one ncsim device, %d changes (first excluded)\n", rounds);
	printf("  edit-config + commit (lock..unlock): median %lld ms, p90 %lld ms (goal < 20)\n",
	       commit[m], commit[p90]);
	printf("  whole push incl. get-config + diff:   median %lld ms, p90 %lld ms\n", whole[m],
	       whole[p90]);
	ad->close(ctx, session);
	weft_snapshot_unref(snap[0]);
	weft_snapshot_unref(snap[1]);
	free(commit);
	free(whole);
	ncit_sim_stop(&sim);
	return 0;
}

static weft_snapshot *yuma_policy(const struct ncit_yuma *y, int weight, int64_t rev)
{
	char yaml[4096], msg[1024] = "";
	snprintf(yaml, sizeof(yaml), SVC, weight);
	size_t off = strlen(yaml);
	snprintf(
	        yaml + off, sizeof(yaml) - off,
	        "---\napiVersion: weft/v1\nkind: Device\nmetadata: {name: yuma}\n"
	        "spec:\n  type: netconf\n  connection: {address: 127.0.0.1, port: %d, username: %s,"
	        " credentials: {file: %s/user_key}, hostKey: \"%s\", timeout: 20s}\n"
	        "  options: {commit: confirmed}\n",
	        y->port, y->user, y->dir, y->fp);
	weft_snapshot *s = ncit_compile(yaml, rev, msg, sizeof(msg));
	if (!s)
		fprintf(stderr, "policy: %s\n", msg);
	return s;
}

/* 0 (also when skipped or when ncclient fails), -1 when weft's push failed. */
static int versus_ncclient(int rounds)
{
	struct ncit_yuma y;
	int rc_out = 0;
	if (!ncit_yuma_available() || ncit_yuma_start(&y, "candidate")) {
		printf("netconfd: skipped (netconfd/sshd missing or not starting)\n");
		return 0;
	}
	weft_snapshot *s[3] = {yuma_policy(&y, 1, 1), yuma_policy(&y, 5, 2), yuma_policy(&y, 3, 3)};
	void *session = NULL;
	weft_err err = {0};
	size_t ops;
	char *edit[2] = {NULL, NULL}, path[700];
	/* Baseline, then alternate two endpoint addresses. */
	if (ncit_push(&session, s[2], ncit_device(s[2], "yuma"), NULL, &ops, NULL, &err))
		goto fail;
	long long t0 = ts_now_ms();
	for (int r = 0; r < rounds; r++) {
		char *e = NULL;
		const weft_snapshot *cur = s[1 + r % 2];
		if (ncit_push(&session, cur, ncit_device(cur, "yuma"), NULL, &ops, &e, &err))
			goto fail;
		if (r < 2)
			edit[r] = e;
		else
			free(e);
	}
	double weft_s = (double)(ts_now_ms() - t0) / 1000.0;
	/* ncclient starts with edit0: the device must be back at baseline. */
	if (rounds % 2 &&
	    ncit_push(&session, s[2], ncit_device(s[2], "yuma"), NULL, &ops, NULL, &err))
		goto fail;
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/edit%d.xml", y.dir, i);
		ts_write_file(path, edit[i] ? edit[i] : "");
	}
	char port[16], n[16], key[700], script[700];
	snprintf(port, sizeof(port), "%d", y.port);
	snprintf(n, sizeof(n), "%d", rounds);
	snprintf(key, sizeof(key), "%s/user_key", y.dir);
	snprintf(script, sizeof(script), "%s/bench/netconf/ncclient_push.py", ts_source_dir());
	const char *argv[] = {"/usr/bin/python3", script, port, y.user, key, y.dir, n, NULL};
	char *out = NULL;
	double nc_s = 0;
	int rc = ts_run(argv, &out, 300000);
	const char *line = out ? strstr(out, "ncclient: ") : NULL;
	if (rc || !line || sscanf(line, "ncclient: %*d pushes in %lf s", &nc_s) != 1) {
		printf("netconfd: ncclient run failed: %s\n", out ? out : "");
		free(out);
		goto out;
	}
	free(out);
	printf("netconfd (yuma123) over SSH, %d pushes of one replaced endpoint each\n", rounds);
	printf("  weft adapter: %.1f pushes/s (%.1f ms/push)\n", rounds / weft_s,
	       weft_s * 1000 / rounds);
	printf("  ncclient:     %.1f pushes/s (%.1f ms/push)\n", rounds / nc_s,
	       nc_s * 1000 / rounds);
	printf("  ratio weft/ncclient: %.1fx (goal >= 5x)\n", nc_s / weft_s);
	goto out;
fail:
	fprintf(stderr, "FAILED: netconfd: weft push failed: %s\n", err.msg);
	rc_out = -1;
out:
	ncit_adapter()->ops->close(ncit_adapter()->ctx, session);
	for (int i = 0; i < 3; i++)
		weft_snapshot_unref(s[i]);
	free(edit[0]);
	free(edit[1]);
	ncit_yuma_stop(&y);
	return rc_out;
}

int main(int argc, char **argv)
{
	int devices = 100, rounds = 50;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--devices"))
			devices = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--rounds"))
			rounds = atoi(argv[i + 1]);
	}
	if (devices < 1 || rounds < 3) {
		fprintf(stderr, "usage: bench_ncdev [--devices N] [--rounds R>=3]\n");
		return 2;
	}
	int failed = fleet(devices) != 0;
	failed |= round_trip(rounds) != 0;
	failed |= versus_ncclient(rounds) != 0;
	return failed;
}
