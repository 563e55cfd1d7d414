/* The haproxy adapter's internal interface: the rendered config (one .cfg
 * text weft owns on the box), its parsed form (backends and their server
 * lines, the part the runtime API can change without a reload), the
 * renderer (hap_render.c, from the resolved model) and the diff
 * (hap_diff.c). See docs/adapter-haproxy.md. */
#ifndef HAP_H
#define HAP_H

#include <stddef.h>
#include <stdint.h>

#include "adapter.h"
#include "warning.h"

struct hap_server {
	char *name, *addr;  /* addr "IP:PORT" */
	int weight;         /* from the file */
	int runtime_weight; /* from `show servers state`; -1: unknown */
	char *rest;         /* what follows "weight N" on the line */
};

struct hap_backend {
	char *name;
	struct hap_server *servers;
	size_t n, cap;
};

/* A config: the file text, its hash, the skeleton (the text without server
 * lines: equal skeletons mean only servers differ) and the servers. */
struct hap_config {
	char *text;
	size_t len;
	uint64_t hash;
	char *skeleton;
	struct hap_backend *backends;
	size_t n_backends, cap;
	int present; /* the file exists (actual) */
	weft_warnings warnings;
};

/* Parses text (weft's own format) into a config; 0 or -1 (out of memory). */
int hap_config_parse(struct hap_config *c, const char *text, size_t len);
void hap_config_free(struct hap_config *c);
const struct hap_backend *hap_config_backend(const struct hap_config *c, const char *name);
uint64_t hap_hash(const char *p, size_t n);

/* Renders the device's slice of snap; *out is a parsed config. */
int hap_render(const weft_snapshot *snap, const weft_resource *dev, struct hap_config **out,
               weft_err *err);

/* A plan's staged state (weft_plan.priv). */
struct hap_plan {
	char *text; /* the file to stage */
	size_t len;
	int runtime_only; /* only server changes: runtime API, no reload */
	char **cmds;      /* runtime API commands (without the "@1 " prefix) */
	size_t n_cmds, cap;
	int staged, replaced; /* prepare uploaded; apply put it in place */
	char *previous;       /* the file before apply (NULL: there was none) */
	size_t previous_len;
};
void hap_plan_free(void *priv);
int hap_diff(const struct hap_config *want, const struct hap_config *have, weft_plan *plan,
             weft_err *err);

#endif
