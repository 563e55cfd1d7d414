/* Semantic rules of TrafficPolicies, RateLimits and Devices: references to
 * services/subsets/routes, load-balancer settings that only make sense
 * together (ring-hash needs hashOn), one TrafficPolicy per service subset,
 * rate-limit tiers that need a key, device types and their options, and
 * device scopes that must select something. */
#include <stdio.h>
#include <string.h>

#include "schema.h"
#include "validate.h"

static void check_lb(struct vctx *v, const weft_resource *r, const weft_load_balancer *lb)
{
	int hashing = lb->algorithm == WEFT_LB_RING_HASH || lb->algorithm == WEFT_LB_MAGLEV;
	const char *alg = lb->algorithm == WEFT_LB_MAGLEV ? "maglev" : "ring-hash";
	if (hashing && !lb->hash_on)
		vctx_err(v, r, lb->pos, "spec.loadBalancer.hashOn",
		         "%s needs hashOn (header, cookie or sourceIp) to pick the hash key", alg);
	if (!hashing && lb->hash_on)
		vctx_err(v, r, lb->hash_on->pos, "spec.loadBalancer.hashOn",
		         "hashOn applies to ring-hash and maglev only");
	if (lb->ring_size && lb->algorithm != WEFT_LB_RING_HASH)
		vctx_err(v, r, lb->ring_size->pos, "spec.loadBalancer.ringSize",
		         "ringSize applies to ring-hash only");
	else if (lb->ring_size && lb->ring_size->min && lb->ring_size->max &&
	         lb->ring_size->min > lb->ring_size->max)
		vctx_err(v, r, lb->ring_size->pos, "spec.loadBalancer.ringSize",
		         "ringSize.min (%d) is larger than ringSize.max (%d)", lb->ring_size->min,
		         lb->ring_size->max);
}

void validate_traffic_policy(struct vctx *v, const weft_resource *r)
{
	const weft_traffic_policy_spec *s = r->spec;
	const weft_resource *t = vresolve(v, r, WEFT_KIND_SERVICE, &s->service, "spec.service");
	if (t && t->spec && s->subset && !service_subset(t->spec, s->subset))
		vctx_err(v, r, s->subset_pos, "spec.subset", "service '%s/%s' has no subset '%s'",
		         t->ns, t->name, s->subset);
	if (t) {
		struct tp_slot *slot = tp_table_slot(&v->policy_keys, t, s->subset);
		const weft_resource *first = slot ? slot->first : NULL;
		if (first)
			vctx_err(v, r, s->service.pos, "spec.service",
			         "service '%s/%s'%s%s already has TrafficPolicy '%s/%s' (%s:%d)",
			         t->ns, t->name, s->subset ? " subset " : "",
			         s->subset ? s->subset : "", first->ns, first->name, first->file,
			         first->line);
		else if (slot)
			slot->first = r;
	}
	if (s->load_balancer)
		check_lb(v, r, s->load_balancer);
	if (s->health_check && s->health_check->type == WEFT_CHECK_TCP && s->health_check->path)
		vctx_err(v, r, s->health_check->pos, "spec.healthCheck.path",
		         "path applies to http health checks only");
	if (s->tls && s->tls->mode == WEFT_TLS_MUTUAL && (!s->tls->cert_file || !s->tls->key_file))
		vctx_err(v, r, s->tls->pos, "spec.tls", "mutual TLS needs certFile and keyFile");
}

/* Whether a and b are IP addresses and the same one (fd00:0::1 and
 * fd00::1 are). */
static int same_ip(const char *a, const char *b)
{
	unsigned char x[16] = {0}, y[16] = {0};
	int fa, fb;
	return !weft_parse_ip(a, &fa, x) && !weft_parse_ip(b, &fb, y) && fa == fb &&
	       !memcmp(x, y, sizeof(x));
}

void validate_rate_limit(struct vctx *v, const weft_resource *r)
{
	const weft_rate_limit_spec *s = r->spec;
	vresolve(v, r, WEFT_KIND_SERVICE, &s->service, "spec.service");
	vresolve(v, r, WEFT_KIND_ROUTE, &s->route, "spec.route");
	if (s->tiers.count && !s->key)
		vctx_err(v, r, s->tiers_pos, "spec.tiers",
		         "tiers need a key (header or sourceIp) that tells the clients apart");
	if (s->key && !s->key->header && !s->key->source_ip)
		vctx_err(v, r, s->key->pos, "spec.key.sourceIp",
		         "sourceIp: false names no key: use sourceIp: true or header");
	char path[96];
	int by_ip = s->key && s->key->source_ip;
	unsigned char addr[16];
	int family;
	for (size_t i = 0; by_ip && i < s->tiers.count; i++)
		if (weft_parse_ip(s->tiers.items[i].value, &family, addr)) {
			snprintf(path, sizeof(path), "spec.tiers[%zu].value", i);
			vctx_err(v, r, s->tiers.items[i].value_pos, path,
			         "'%s' is not an IP address: with key sourceIp a tier names one "
			         "client address (not a CIDR or a hostname)",
			         s->tiers.items[i].value);
		}
	for (size_t i = 0; i < s->tiers.count; i++)
		for (size_t j = 0; j < i; j++)
			if (!strcmp(s->tiers.items[i].value, s->tiers.items[j].value) ||
			    (by_ip && same_ip(s->tiers.items[i].value, s->tiers.items[j].value))) {
				snprintf(path, sizeof(path), "spec.tiers[%zu].value", i);
				vctx_err(v, r, s->tiers.items[i].value_pos, path,
				         "duplicate tier value '%s' (also spec.tiers[%zu])",
				         s->tiers.items[i].value, j);
			}
}

/* An haproxy Device needs the absolute path of its own .cfg (a file next
 * to the operator's, loaded with -f DIR; docs/adapter-haproxy.md) and the
 * master CLI port it reloads through. */
static void check_haproxy_options(struct vctx *v, const weft_resource *r, const weft_device_spec *d)
{
	const weft_device_options *o = d->options;
	if (!o || !o->config_file)
		vctx_err(v, r, o ? o->pos : d->pos, "spec.options.configFile",
		         "an haproxy device needs options.configFile (absolute path of weft's "
		         ".cfg)");
	else if (o->config_file[0] != '/' || strlen(o->config_file) < 5 ||
	         strcmp(o->config_file + strlen(o->config_file) - 4, ".cfg") ||
	         strstr(o->config_file, "/../") || strpbrk(o->config_file, " \t\n'\"\\;$`"))
		vctx_err(v, r, o->config_file_pos, "spec.options.configFile",
		         "configFile must be an absolute path ending in .cfg, without '..', blanks "
		         "or shell characters");
	if (o && o->haproxy_binary &&
	    (o->haproxy_binary[0] != '/' || strpbrk(o->haproxy_binary, " \t\n'\"\\;$`")))
		vctx_err(v, r, o->haproxy_binary_pos, "spec.options.haproxyBinary",
		         "haproxyBinary must be an absolute path without blanks or shell "
		         "characters");
	if (!o || !o->master_port)
		vctx_err(v, r, o ? o->pos : d->pos, "spec.options.masterPort",
		         "an haproxy device needs options.masterPort (its master CLI on the box's "
		         "127.0.0.1, haproxy -W -S ipv4@127.0.0.1:PORT)");
}

/* Options that belong to one device type only. */
static void check_options(struct vctx *v, const weft_resource *r, const weft_device_spec *d)
{
	const weft_device_options *o = d->options;
	if (d->type == WEFT_DEVICE_FILE && (!o || !o->directory))
		vctx_err(
		        v, r, o ? o->pos : d->pos, "spec.options.directory",
		        "a file device needs options.directory (where rendered config is written)");
	if (d->type == WEFT_DEVICE_HAPROXY)
		check_haproxy_options(v, r, d);
	if (!o)
		return;
	if (o->config_file && d->type != WEFT_DEVICE_HAPROXY)
		vctx_err(v, r, o->config_file_pos, "spec.options.configFile",
		         "configFile applies to haproxy devices only");
	if (o->haproxy_binary && d->type != WEFT_DEVICE_HAPROXY)
		vctx_err(v, r, o->haproxy_binary_pos, "spec.options.haproxyBinary",
		         "haproxyBinary applies to haproxy devices only");
	if (o->master_port && d->type != WEFT_DEVICE_HAPROXY)
		vctx_err(v, r, o->master_port_pos, "spec.options.masterPort",
		         "masterPort applies to haproxy devices only");
	if (o->partition && d->type != WEFT_DEVICE_F5)
		vctx_err(v, r, o->partition_pos, "spec.options.partition",
		         "partition applies to f5 devices only");
	if (o->commit && d->type != WEFT_DEVICE_NETCONF)
		vctx_err(v, r, o->commit_pos, "spec.options.commit",
		         "commit applies to netconf devices only");
	if (o->confirm_timeout_ms && d->type != WEFT_DEVICE_NETCONF)
		vctx_err(v, r, o->confirm_timeout_pos, "spec.options.confirmTimeout",
		         "confirmTimeout applies to netconf devices only");
	if (o->node_match && d->type != WEFT_DEVICE_XDS)
		vctx_err(v, r, o->node_match->pos, "spec.options.nodeMatch",
		         "nodeMatch applies to xds devices only");
	if (o->directory && d->type != WEFT_DEVICE_FILE)
		vctx_err(v, r, o->directory_pos, "spec.options.directory",
		         "directory applies to file devices only");
	if (o->confirm_timeout_ms && o->commit != WEFT_COMMIT_UNSET &&
	    o->commit != WEFT_COMMIT_CONFIRMED)
		vctx_err(v, r, o->confirm_timeout_pos, "spec.options.confirmTimeout",
		         "confirmTimeout applies to commit: confirmed only");
}

static int scope_is_empty(const weft_device_scope *sc)
{
	return !sc || (!sc->namespaces.count && !sc->services.count && !sc->gateways.count);
}

static void check_scope(struct vctx *v, const weft_resource *r, const weft_device_scope *sc)
{
	char path[96];
	int before = v->errors;
	for (size_t i = 0; i < sc->namespaces.count; i++)
		if (!vnamespace_used(v, sc->namespaces.items[i])) {
			snprintf(path, sizeof(path), "spec.scope.namespaces[%zu]", i);
			vctx_err(v, r, sc->namespaces.pos[i], path,
			         "namespace '%s' holds no resources", sc->namespaces.items[i]);
		}
	for (size_t i = 0; i < sc->services.count; i++) {
		snprintf(path, sizeof(path), "spec.scope.services[%zu]", i);
		vresolve(v, r, WEFT_KIND_SERVICE, &sc->services.items[i], path);
	}
	for (size_t i = 0; i < sc->gateways.count; i++) {
		snprintf(path, sizeof(path), "spec.scope.gateways[%zu]", i);
		vresolve(v, r, WEFT_KIND_GATEWAY, &sc->gateways.items[i], path);
	}
	if (v->errors != before)
		return;
	size_t n = weft_policyset_count(v->set);
	weft_resource *const *items = weft_policyset_items(v->set);
	for (size_t i = 0; i < n; i++)
		if (weft_device_selects_in_set(v->set, r, items[i]))
			return;
	vctx_err(v, r, sc->pos, "spec.scope", "the scope selects nothing");
}

void validate_device(struct vctx *v, const weft_resource *r)
{
	const weft_device_spec *d = r->spec;
	int remote = d->type == WEFT_DEVICE_F5 || d->type == WEFT_DEVICE_NETCONF ||
	             d->type == WEFT_DEVICE_HAPROXY;
	const char *tname = d->type == WEFT_DEVICE_F5        ? "an f5"
	                    : d->type == WEFT_DEVICE_HAPROXY ? "an haproxy"
	                                                     : "a netconf";
	if (remote && !d->connection)
		vctx_err(v, r, d->pos, "spec.connection", "%s device needs a connection", tname);
	else if (remote && !d->connection->credentials)
		vctx_err(v, r, d->connection->pos, "spec.connection.credentials",
		         "%s device needs credentials (file or env)", tname);
	if (d->type == WEFT_DEVICE_FILE && d->connection)
		vctx_err(v, r, d->connection->pos, "spec.connection",
		         "a file device has no connection");
	if (d->connection && d->connection->host_key && d->type != WEFT_DEVICE_NETCONF &&
	    d->type != WEFT_DEVICE_HAPROXY)
		vctx_err(v, r, d->connection->pos, "spec.connection.hostKey",
		         "hostKey applies to netconf and haproxy (SSH) devices only");
	if (d->type == WEFT_DEVICE_HAPROXY && d->connection && !d->connection->host_key)
		vctx_err(v, r, d->connection->pos, "spec.connection.hostKey",
		         "an haproxy device needs hostKey (the SSH host key's SHA256 fingerprint)");
	check_options(v, r, d);
	validate_device_overlap(v, r);
	if (!scope_is_empty(d->scope))
		check_scope(v, r, d->scope);
}
