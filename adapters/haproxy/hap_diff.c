/* The haproxy plan: when the desired and the actual file differ only in
 * server lines (weights, servers added or removed), the change goes
 * through the runtime API without a reload (set server weight, add server
 * + enable, maint + del server) and the file is rewritten so a later reload
 * keeps it; any other difference is a new file and a reload. Runtime
 * weights that differ from the file (a hand `set server`) are drift and
 * are set back. See docs/adapter-haproxy.md. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hap.h"

void hap_plan_free(void *priv)
{
	struct hap_plan *p = priv;
	if (!p)
		return;
	for (size_t i = 0; i < p->n_cmds; i++)
		free(p->cmds[i]);
	free(p->cmds);
	free(p->text);
	free(p->previous);
	free(p);
}

static int add_cmd(struct hap_plan *p, weft_plan *plan, const char *target, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static int add_cmd(struct hap_plan *p, weft_plan *plan, const char *target, const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (p->n_cmds == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 8;
		char **c = realloc(p->cmds, cap * sizeof(*c));
		if (!c)
			return -1;
		p->cmds = c;
		p->cap = cap;
	}
	p->cmds[p->n_cmds] = strdup(cmd);
	if (!p->cmds[p->n_cmds])
		return -1;
	p->n_cmds++;
	return weft_plan_add(plan, "runtime", target, cmd);
}

static const struct hap_server *find_server(const struct hap_backend *b, const char *name)
{
	for (size_t i = 0; b && i < b->n; i++)
		if (!strcmp(b->servers[i].name, name))
			return &b->servers[i];
	return NULL;
}

/* Runtime commands for one backend; 1 when a server line changed in a way
 * the runtime API does not carry (its options). */
static int backend_cmds(struct hap_plan *p, weft_plan *plan, const struct hap_backend *w,
                        const struct hap_backend *h)
{
	char t[512];
	for (size_t i = 0; i < w->n; i++) {
		const struct hap_server *ws = &w->servers[i];
		const struct hap_server *hs = find_server(h, ws->name);
		snprintf(t, sizeof(t), "%s/%s", w->name, ws->name);
		if (hs && (strcmp(hs->addr, ws->addr) || strcmp(hs->rest, ws->rest)))
			return 1;
		int now = hs ? (hs->runtime_weight >= 0 ? hs->runtime_weight : hs->weight) : -1;
		if (!hs) {
			if (add_cmd(p, plan, t, "add server %s %s weight %d%s%s", t, ws->addr,
			            ws->weight, ws->rest[0] ? " " : "", ws->rest) ||
			    (strstr(ws->rest, "check") &&
			     add_cmd(p, plan, t, "enable health %s", t)) ||
			    add_cmd(p, plan, t, "enable server %s", t))
				return -1;
		} else if (now != ws->weight &&
		           add_cmd(p, plan, t, "set server %s weight %d", t, ws->weight)) {
			return -1;
		}
	}
	for (size_t i = 0; h && i < h->n; i++) {
		if (find_server(w, h->servers[i].name))
			continue;
		snprintf(t, sizeof(t), "%s/%s", h->name, h->servers[i].name);
		if (add_cmd(p, plan, t, "set server %s state maint", t) ||
		    add_cmd(p, plan, t, "shutdown sessions server %s", t) ||
		    add_cmd(p, plan, t, "del server %s", t))
			return -1;
	}
	return 0;
}

/* Whether only servers (and runtime weights) differ; fills p->cmds. */
static int runtime_only(struct hap_plan *p, weft_plan *plan, const struct hap_config *want,
                        const struct hap_config *have)
{
	if (!have || !have->present || strcmp(want->skeleton, have->skeleton) ||
	    want->n_backends != have->n_backends)
		return 0;
	for (size_t i = 0; i < want->n_backends; i++) {
		const struct hap_backend *h = hap_config_backend(have, want->backends[i].name);
		if (!h)
			return 0;
		int rc = backend_cmds(p, plan, &want->backends[i], h);
		if (rc)
			return rc < 0 ? -1 : 0;
	}
	return 1;
}

int hap_diff(const struct hap_config *want, const struct hap_config *have, weft_plan *plan,
             weft_err *err)
{
	weft_warnings_append(&plan->warnings, &want->warnings);
	struct hap_plan *p = calloc(1, sizeof(*p));
	if (!p || !(p->text = malloc(want->len + 1))) {
		free(p);
		return weft_err_set(err, "device %s: out of memory", plan->device);
	}
	memcpy(p->text, want->text, want->len + 1);
	p->len = want->len;
	size_t ops_before = plan->n_ops;
	int ro = runtime_only(p, plan, want, have);
	if (ro < 0) {
		hap_plan_free(p);
		return weft_err_set(err, "device %s: out of memory", plan->device);
	}
	int same_file = have && have->present && have->hash == want->hash;
	if (ro && same_file && p->n_cmds == 0) {
		hap_plan_free(p); /* in sync */
		return 0;
	}
	char detail[128];
	if (ro) {
		p->runtime_only = 1;
		snprintf(detail, sizeof(detail), "%zu bytes, %zu runtime command(s), no reload",
		         want->len, p->n_cmds);
		if (!same_file && weft_plan_add(plan, "write", "config", detail))
			goto oom;
	} else {
		/* Drop runtime ops a partial match may have added: a reload it is. */
		while (plan->n_ops > ops_before) {
			weft_plan_op *o = &plan->ops[--plan->n_ops];
			free(o->action);
			free(o->target);
			free(o->detail);
		}
		for (size_t i = 0; i < p->n_cmds; i++)
			free(p->cmds[i]);
		p->n_cmds = 0;
		snprintf(detail, sizeof(detail), "%zu bytes (%s)", want->len,
		         have && have->present ? "replaces the file on the box" : "new file");
		if (weft_plan_add(plan, "write", "config", detail) ||
		    weft_plan_add(plan, "reload", "master",
		                  "haproxy -c, then reload via the master CLI"))
			goto oom;
	}
	plan->priv = p;
	plan->free_priv = hap_plan_free;
	return 0;
oom:
	hap_plan_free(p);
	return weft_err_set(err, "device %s: out of memory", plan->device);
}
