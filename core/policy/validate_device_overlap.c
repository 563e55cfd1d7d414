/* Devices that would fight over one box (docs/policy.md, Device): two
 * Devices of the same type that reach the same place with overlapping
 * ownership are refused, naming both. Each pushes its own slice and takes
 * the other's objects for drift, so together they delete each other's
 * work (with drift: repair, forever) while both report in-sync.
 *   file     directories that are the same or nested, after normalisation
 *            ("same" and "./same", "a" and "a/b")
 *   netconf  the same address and port: weft owns the whole weft-lb tree
 *   f5       the same address, port and partition (default Common)
 *   haproxy  the same address, port and configFile (one .cfg, one owner)
 *   xds      nodeMatches that one proxy could satisfy both of: which
 *            Device feeds it would depend on the order feeds were made
 * Addresses compare as IP addresses when they parse as such (fd00:0::1 is
 * fd00::1), else as host names without case; no name is resolved (validation does no I/O). Devices
 * are compared with the ones before them in set order, so each conflict is reported once, on the
 * later Device, by both validation drivers alike (validate_change.c
 * re-checks every Device). */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "schema.h"
#include "validate.h"

static int same_host(const char *a, const char *b)
{
	unsigned char x[16] = {0}, y[16] = {0};
	int fa, fb;
	int ia = !weft_parse_ip(a, &fa, x), ib = !weft_parse_ip(b, &fb, y);
	if (ia || ib)
		return ia && ib && fa == fb && !memcmp(x, y, sizeof(x));
	return !strcasecmp(a, b);
}

static int port_of(const weft_device_spec *d)
{
	if (d->connection->port)
		return d->connection->port;
	if (d->type == WEFT_DEVICE_HAPROXY)
		return 22;
	return d->type == WEFT_DEVICE_F5 ? 443 : 830;
}

static int same_box(const weft_device_spec *a, const weft_device_spec *b)
{
	return a->connection && b->connection && a->connection->address && b->connection->address &&
	       port_of(a) == port_of(b) &&
	       same_host(a->connection->address, b->connection->address);
}

static const char *partition_of(const weft_device_spec *d)
{
	return d->options && d->options->partition ? d->options->partition : "Common";
}

/* Whether some node could satisfy both matches: one id prefix extends the
 * other (or one has none) and the labels they share agree. */
static int matches_can_meet(const weft_node_match *a, const weft_node_match *b)
{
	if (a->id_prefix && b->id_prefix) {
		size_t la = strlen(a->id_prefix), lb = strlen(b->id_prefix);
		if (strncmp(a->id_prefix, b->id_prefix, la < lb ? la : lb))
			return 0;
	}
	for (size_t i = 0; i < a->metadata.count; i++)
		for (size_t j = 0; j < b->metadata.count; j++)
			if (!strcmp(a->metadata.items[i].key, b->metadata.items[j].key) &&
			    strcmp(a->metadata.items[i].value, b->metadata.items[j].value))
				return 0;
	return 1;
}

static const char *clean_dir(const weft_device_spec *d, char *buf, size_t cap)
{
	if (!d->options || !d->options->directory ||
	    weft_relpath_clean(d->options->directory, buf, cap))
		return NULL;
	return buf;
}

static void report(struct vctx *v, const weft_resource *r, weft_pos pos, const char *path,
                   const weft_resource *o, weft_pos opos, const char *what)
{
	vctx_err(v, r, pos, path, "%s Device '%s/%s' (%s:%d): two Devices would fight over it",
	         what, o->ns, o->name, o->file, opos.line ? opos.line : o->line);
}

/* Compares r with one earlier Device o of the same type. */
static void compare(struct vctx *v, const weft_resource *r, const weft_resource *o)
{
	const weft_device_spec *d = r->spec, *e = o->spec;
	char what[2 * PATH_MAX + 128];
	if (d->type == WEFT_DEVICE_FILE) {
		char a[PATH_MAX], b[PATH_MAX];
		const char *x = clean_dir(d, a, sizeof(a)), *y = clean_dir(e, b, sizeof(b));
		if (!x || !y || !weft_relpath_overlap(x, y))
			return;
		size_t lx = strlen(x), ly = strlen(y);
		if (lx == ly)
			snprintf(what, sizeof(what), "directory '%s' is also the directory of", x);
		else
			snprintf(what, sizeof(what), "directory '%s' %s the directory '%s' of", x,
			         lx > ly ? "lies inside" : "holds", y);
		report(v, r, d->options->directory_pos, "spec.options.directory", o,
		       e->options->directory_pos, what);
	} else if (d->type == WEFT_DEVICE_NETCONF && same_box(d, e)) {
		snprintf(what, sizeof(what),
		         "netconf box %s port %d (weft owns its whole weft-lb tree) is also "
		         "reached by",
		         d->connection->address, port_of(d));
		report(v, r, d->connection->pos, "spec.connection", o, e->connection->pos, what);
	} else if (d->type == WEFT_DEVICE_F5 && same_box(d, e) &&
	           !strcmp(partition_of(d), partition_of(e))) {
		snprintf(what, sizeof(what), "f5 partition '%s' on %s port %d is also owned by",
		         partition_of(d), d->connection->address, port_of(d));
		report(v, r, d->connection->pos, "spec.connection", o, e->connection->pos, what);
	} else if (d->type == WEFT_DEVICE_HAPROXY && same_box(d, e) && d->options && e->options &&
	           d->options->config_file && e->options->config_file &&
	           !strcmp(d->options->config_file, e->options->config_file)) {
		snprintf(what, sizeof(what),
		         "haproxy config file '%s' on %s port %d is also owned by",
		         d->options->config_file, d->connection->address, port_of(d));
		report(v, r, d->options->config_file_pos, "spec.options.configFile", o,
		       e->options->config_file_pos, what);
	} else if (d->type == WEFT_DEVICE_XDS && d->options && d->options->node_match &&
	           e->options && e->options->node_match &&
	           matches_can_meet(d->options->node_match, e->options->node_match)) {
		snprintf(what, sizeof(what),
		         "options.nodeMatch can select the same proxies (node ids and metadata "
		         "labels do not exclude each other) as");
		report(v, r, d->options->node_match->pos, "spec.options.nodeMatch", o,
		       e->options->node_match->pos, what);
	}
}

void validate_device_overlap(struct vctx *v, const weft_resource *r)
{
	size_t n;
	weft_resource *const *devs = weft_policyset_kind(v->set, WEFT_KIND_DEVICE, &n);
	const weft_device_spec *d = r->spec;
	for (size_t i = 0; i < n && devs[i] != r; i++) {
		const weft_device_spec *e = devs[i]->spec;
		if (e && e->type == d->type)
			compare(v, r, devs[i]);
	}
}
