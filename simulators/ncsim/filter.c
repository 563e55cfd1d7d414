/* ncsim filters for get and get-config (RFC 6241 section 6, and the
 * :xpath capability, section 8.9).
 *
 * A subtree filter arrives as the content of the <filter> anyxml node (an
 * opaque libyang tree). It is turned into XPath expressions: containment
 * nodes become path steps, content-match leaves become predicates (and are
 * selected too, as RFC 6241 6.2.5 wants), selection nodes select whole
 * subtrees. An XPath filter's select attribute (nc:select metadata) is used
 * as it is, after mapping YANG module prefixes ("wlb:") to module names,
 * which is what libyang's XPath expects. Every match is copied with its
 * parents (and list keys) into the output tree.
 */
#include "ncsim.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct xpaths {
	char **v;
	int n;
};

static void xp_add(struct xpaths *xp, const char *s)
{
	xp->v = realloc(xp->v, (xp->n + 1) * sizeof(*xp->v));
	xp->v[xp->n++] = strdup(s);
}

static const char *fnode_name(const struct lyd_node *n)
{
	return LYD_NAME(n);
}

static const struct lys_module *fnode_module(const struct ly_ctx *ctx, const struct lyd_node *n,
                                             const struct lys_module *parent_mod)
{
	const struct lyd_node_opaq *o = (const void *)n;
	const struct lys_module *m;

	if (n->schema)
		return n->schema->module;
	if (o->format == LY_VALUE_XML && o->name.module_ns &&
	    (m = ly_ctx_get_module_implemented_ns(ctx, o->name.module_ns)))
		return m;
	return parent_mod;
}

/* Text of a filter leaf, trimmed; "" for none. */
static void fnode_text(const struct lyd_node *n, char *buf, size_t len)
{
	const char *v = n->schema ? lyd_get_value(n) : ((const struct lyd_node_opaq *)n)->value;
	size_t l;

	buf[0] = '\0';
	if (!v)
		return;
	while (isspace((unsigned char)*v))
		v++;
	snprintf(buf, len, "%s", v);
	l = strlen(buf);
	while (l && isspace((unsigned char)buf[l - 1]))
		buf[--l] = '\0';
}

static void append_pred(char *path, size_t len, const char *mod, const char *name, const char *val)
{
	size_t l = strlen(path);
	char q = strchr(val, '\'') ? '"' : '\'';

	snprintf(path + l, len - l, "[%s:%s=%c%s%c]", mod, name, q, val, q);
}

static int subtree_to_xpath(const struct ly_ctx *ctx, const struct lyd_node *f,
                            const char *parent_path, const struct lys_module *parent_mod,
                            struct xpaths *xp)
{
	const struct lys_module *mod = fnode_module(ctx, f, parent_mod);
	char path[4096], sub[4200], text[1024];
	int selects = 0;

	if (!mod)
		return 0; /* unknown namespace: matches nothing */
	snprintf(path, sizeof(path), "%s/%s:%s", parent_path, mod->name, fnode_name(f));
	for (const struct lyd_node *c = lyd_child(f); c; c = c->next) {
		const struct lys_module *cm = fnode_module(ctx, c, mod);

		fnode_text(c, text, sizeof(text));
		if (!lyd_child(c) && text[0] && cm)
			append_pred(path, sizeof(path), cm->name, fnode_name(c), text);
		else
			selects = 1;
	}
	if (!selects) {
		xp_add(xp, path);
		return 0;
	}
	for (const struct lyd_node *c = lyd_child(f); c; c = c->next) {
		const struct lys_module *cm = fnode_module(ctx, c, mod);

		fnode_text(c, text, sizeof(text));
		if (!lyd_child(c) && text[0] && cm) {
			snprintf(sub, sizeof(sub), "%s/%s:%s", path, cm->name, fnode_name(c));
			xp_add(xp, sub);
		} else {
			subtree_to_xpath(ctx, c, path, mod, xp);
		}
	}
	return 0;
}

/* "/wlb:lb/wlb:pool" -> "/weft-lb:lb/weft-lb:pool" (YANG prefixes to module
 * names), leaving string literals alone. */
static char *map_prefixes(const struct ly_ctx *ctx, const char *in)
{
	size_t cap = strlen(in) * 4 + 512, o = 0;
	char *out = malloc(cap), quote = 0;
	const char *p = in;

	while (*p && o + 256 < cap) {
		if (quote) {
			if (*p == quote)
				quote = 0;
			out[o++] = *p++;
		} else if (*p == '\'' || *p == '"') {
			quote = *p;
			out[o++] = *p++;
		} else if (isalpha((unsigned char)*p) || *p == '_') {
			const char *s = p;
			const struct lys_module *m;
			uint32_t idx = 0;
			int mapped = 0;

			while (*p && (isalnum((unsigned char)*p) || strchr("_-.", *p)))
				p++;
			if (*p == ':' && p[1] != ':') {
				while ((m = ly_ctx_get_module_iter(ctx, &idx))) {
					if (m->implemented &&
					    strlen(m->prefix) == (size_t)(p - s) &&
					    !strncmp(m->prefix, s, p - s)) {
						o += snprintf(out + o, cap - o, "%s", m->name);
						mapped = 1;
						break;
					}
				}
			}
			if (!mapped) {
				memcpy(out + o, s, p - s);
				o += p - s;
			}
		} else {
			out[o++] = *p++;
		}
	}
	out[o] = '\0';
	return out;
}

static int collect(const struct lyd_node *data, const char *xpath, struct lyd_node **out, char *err,
                   size_t errlen)
{
	struct ly_set *set = NULL;

	if (!data)
		return 0;
	if (lyd_find_xpath(data, xpath, &set)) {
		snprintf(err, errlen, "bad filter expression \"%s\"", xpath);
		return -1;
	}
	for (uint32_t i = 0; i < set->count; i++) {
		struct lyd_node *dup = NULL, *top;

		if (lyd_dup_single(set->dnodes[i], NULL, LYD_DUP_RECURSIVE | LYD_DUP_WITH_PARENTS,
		                   &dup))
			continue;
		for (top = dup; top->parent; top = lyd_parent(top))
			;
		if (!*out)
			*out = top;
		else if (lyd_merge_siblings(out, top, LYD_MERGE_DESTRUCT))
			lyd_free_all(top);
	}
	ly_set_free(set, NULL);
	return 0;
}

int filter_apply(const struct ly_ctx *ctx, const struct lyd_node *rpc, struct lyd_node *data,
                 struct lyd_node **out, char *err, size_t errlen)
{
	struct lyd_node *f = NULL;
	struct lyd_meta *type, *sel;
	struct xpaths xp = {0};
	int rc = 0;

	*out = NULL;
	if (lyd_find_path(rpc, "filter", 0, &f)) {
		*out = data; /* no filter: everything */
		return 0;
	}
	type = lyd_find_meta(f->meta, NULL, "ietf-netconf:type");
	if (type && !strcmp(lyd_get_meta_value(type), "xpath")) {
		sel = lyd_find_meta(f->meta, NULL, "ietf-netconf:select");
		if (!sel) {
			snprintf(err, errlen, "xpath filter without a select attribute");
			rc = -1;
		} else {
			xp_add(&xp, "");
			free(xp.v[0]);
			/* libyang stores it with module names when the client
			 * declared its prefixes; map bare YANG prefixes too */
			xp.v[0] = map_prefixes(ctx, lyd_get_meta_value(sel));
		}
	} else {
		const struct lyd_node_any *any = (const void *)f;

		if (any->value_type == LYD_ANYDATA_DATATREE)
			for (const struct lyd_node *n = any->value.tree; n; n = n->next)
				subtree_to_xpath(ctx, n, "", NULL, &xp);
	}
	for (int i = 0; !rc && i < xp.n; i++)
		rc = collect(data, xp.v[i], out, err, errlen);
	for (int i = 0; i < xp.n; i++)
		free(xp.v[i]);
	free(xp.v);
	lyd_free_all(data);
	if (rc) {
		lyd_free_all(*out);
		*out = NULL;
	}
	return rc;
}
