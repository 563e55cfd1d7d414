/* prepare / apply / abort of the haproxy adapter (see hap_adapter.c for
 * the phases). A reload is checked with the master CLI's `show proc`: the
 * master's reload counter must move and a worker of the new generation
 * must run, within 15 s; a failed reload (the master's "failed" counter
 * moves) is an error and the old worker keeps serving. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "hap.h"
#include "hap_session.h"

static int run(struct hap_session *s, const char *cmd, weft_err *err)
{
	char *out = NULL;
	int status = -1;
	if (hap_ssh_exec(s->ssh, cmd, &out, &status, err))
		return -1;
	if (status) {
		size_t l = out ? strlen(out) : 0;
		while (l && (out[l - 1] == '\n' || out[l - 1] == ' '))
			out[--l] = 0;
		weft_err_set(err, "device %s: `%s` exited %d: %s", s->device, cmd, status,
		             out && *out ? out : "(no output)");
		free(out);
		return -1;
	}
	free(out);
	return 0;
}

int hap_prepare(void *ctx, void *session, weft_plan *plan, weft_err *err)
{
	(void)ctx;
	struct hap_session *s = session;
	struct hap_plan *p = plan->priv;
	if (!p)
		return 0;
	if (hap_ssh_write(s->ssh, s->staged, p->text, p->len, err))
		return -1;
	p->staged = 1;
	char cmd[3000];
	snprintf(cmd, sizeof(cmd), "'%s' -c -f '%s' 2>&1", s->bin, s->staged);
	if (run(s, cmd, err)) {
		weft_err_prefix(err, "haproxy -c refused the config");
		return -1;
	}
	return 0;
}

/* The master's line of `show proc`: its reload and failed counters, and
 * the pid of the first current worker. */
static int proc_state(struct hap_session *s, int *reloads, int *failed, int *worker, weft_err *err)
{
	char *out = NULL;
	if (hap_ssh_cli(s->ssh, s->master_port, "show proc", &out, err))
		return -1;
	*reloads = *failed = *worker = -1;
	int in_workers = 0;
	for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
		int pid, r, f;
		char type[32];
		if (!strncmp(line, "# workers", 9))
			in_workers = 1;
		else if (line[0] == '#')
			in_workers = 0;
		else if (sscanf(line, "%d %31s %d [failed: %d]", &pid, type, &r, &f) == 4 &&
		         !strcmp(type, "master")) {
			*reloads = r;
			*failed = f;
		} else if (in_workers && *worker < 0 && sscanf(line, "%d %31s", &pid, type) == 2 &&
		           !strcmp(type, "worker"))
			*worker = pid;
	}
	free(out);
	if (*reloads < 0)
		return weft_err_set(err,
		                    "device %s: `show proc` on the master CLI has no master line",
		                    s->device);
	return 0;
}

static int reload(struct hap_session *s, weft_err *err)
{
	int r0, f0, w0, r, f, w;
	if (proc_state(s, &r0, &f0, &w0, err))
		return -1;
	char *out = NULL;
	if (hap_ssh_cli(s->ssh, s->master_port, "reload", &out, err))
		return -1;
	free(out);
	long long deadline = weft_mono_ms() + 15000;
	while (weft_mono_ms() < deadline) {
		struct timespec ts = {0, 50 * 1000000L};
		nanosleep(&ts, NULL);
		weft_err e = {0};
		if (proc_state(s, &r, &f, &w, &e))
			continue; /* the master re-executes: its CLI may blink */
		if (f > f0)
			return weft_err_set(err,
			                    "device %s: the reload failed (the master kept the old "
			                    "worker %d)",
			                    s->device, w0);
		if (r > r0 && w > 0 && w != w0)
			return 0;
	}
	return weft_err_set(err, "device %s: no new worker 15 s after the reload", s->device);
}

static int place(struct hap_session *s, weft_err *err)
{
	char cmd[3000];
	snprintf(cmd, sizeof(cmd), "mv -f '%s' '%s'", s->staged, s->cfg);
	return run(s, cmd, err);
}

/* A runtime API answer that is not a success. */
static int cli_refused(const char *out)
{
	static const char *const bad[] = {"No such", "Unknown", "Require", "annot", "ailed",
	                                  "nvalid",  "rror",    "not ",    "must",  NULL};
	for (size_t i = 0; bad[i]; i++)
		if (out && strstr(out, bad[i]))
			return 1;
	return 0;
}

/* `del server` of a server in maint: HAProxy refuses it while
 * connections (also idle ones kept for reuse) are attached, so it is
 * retried for up to 5 s; after that the server stays in maint (it takes no
 * traffic) and is gone from the file, so the next reload drops it. */
static int del_server(struct hap_session *s, const char *cmd, weft_err *err)
{
	long long deadline = weft_mono_ms() + 5000;
	for (;;) {
		char *out = NULL;
		if (hap_ssh_cli(s->ssh, s->master_port, cmd, &out, err))
			return -1;
		int busy = out && strstr(out, "still has connections");
		int bad = !busy && cli_refused(out);
		if (bad)
			weft_err_set(err, "device %s: runtime API refused '%s': %s", s->device,
			             cmd + 3, out);
		free(out);
		if (bad)
			return -1;
		if (!busy || weft_mono_ms() >= deadline)
			return 0;
		struct timespec ts = {0, 50 * 1000000L};
		nanosleep(&ts, NULL);
	}
}

static int runtime_deletes(struct hap_session *s, struct hap_plan *p, weft_err *err)
{
	/* Every other command first: traffic follows them at once; the
	 * deletes (which may wait for connections to drain) come last. */
	for (size_t i = 0; i < p->n_cmds; i++) {
		char cmd[1100];
		snprintf(cmd, sizeof(cmd), "@1 %s", p->cmds[i]);
		if (!strncmp(p->cmds[i], "del server ", 11) && del_server(s, cmd, err))
			return -1;
	}
	return 0;
}

static int runtime(struct hap_session *s, struct hap_plan *p, weft_err *err)
{
	for (size_t i = 0; i < p->n_cmds; i++) {
		char cmd[1100], *out = NULL;
		snprintf(cmd, sizeof(cmd), "@1 %s", p->cmds[i]);
		if (!strncmp(p->cmds[i], "del server ", 11))
			continue;
		if (hap_ssh_cli(s->ssh, s->master_port, cmd, &out, err))
			return -1;
		int bad = cli_refused(out);
		if (bad)
			weft_err_set(err, "device %s: runtime API refused '%s': %s", s->device,
			             p->cmds[i], out);
		free(out);
		if (bad)
			return -1;
	}
	return runtime_deletes(s, p, err);
}

int hap_apply(void *ctx, void *session, weft_plan *plan, weft_err *err)
{
	(void)ctx;
	struct hap_session *s = session;
	struct hap_plan *p = plan->priv;
	if (!p)
		return 0;
	free(p->previous);
	p->previous = NULL;
	if (hap_ssh_read(s->ssh, s->cfg, &p->previous, &p->previous_len, err))
		return -1;
	if (place(s, err))
		return -1;
	p->replaced = 1;
	if (p->runtime_only) {
		weft_err rerr = {0};
		if (!runtime(s, p, &rerr))
			return 0;
		/* The file is in place: a reload makes the box match it. */
		if (reload(s, err)) {
			weft_err_prefix(err, "%s; the reload instead", rerr.msg);
			return -1;
		}
		return 0;
	}
	return reload(s, err);
}

int hap_abort(void *ctx, void *session, weft_plan *plan, weft_phase phase, weft_err *err)
{
	(void)ctx;
	struct hap_session *s = session;
	struct hap_plan *p = plan->priv;
	char cmd[3000];
	if (!p || !s)
		return 0;
	if (phase == WEFT_PHASE_PREPARE || !p->replaced) {
		snprintf(cmd, sizeof(cmd), "rm -f '%s'", s->staged);
		return run(s, cmd, err);
	}
	if (p->previous) {
		if (hap_ssh_write(s->ssh, s->cfg, p->previous, p->previous_len, err))
			return -1;
	} else {
		snprintf(cmd, sizeof(cmd), "rm -f '%s'", s->cfg);
		if (run(s, cmd, err))
			return -1;
	}
	return reload(s, err);
}
