/* The xDS adapter table (kind "xds"), see xds_server.h. Phases:
 *   render   the Device's slice of the snapshot, rendered for a canonical
 *            proxyless and sidecar view: {type: {name: version}} (pure)
 *   observe  what this Device's proxies hold: the server's last published
 *            summary, except every resource a proxy was sent and has not
 *            ACKed (NACKed or pending), which reads as "NACKed by NODE: .."
 *            so that diff reports it -- drift is what proxies ACKed vs
 *            the intent, not what the server believes it serves; empty
 *            before the first push
 *   diff     publish / remove ops per resource (the printable dry-run)
 *   prepare  nothing to stage beyond the encoded resources of render
 *   apply    hands the slice to the server thread, which re-renders the
 *            views of the matching proxies and pushes what changed
 *   confirm  nothing (ACKs are per proxy: see xds_server_status)
 *   abort    nothing was made live before apply; apply is all or nothing
 * An instance (init/fini) owns its ADS server (config "listen"). */
#include <stdlib.h>
#include <string.h>

#include "resource.h"
#include "xds_server_int.h"

/* An instance: its server, or NULL when none is configured. */
struct xds_inst {
	xds_server *server;
};

static const char *const init_keys[] = {"listen", "tlsCert", "tlsKey", "tlsClientCa"};

/* Every key of config is an option, its value a string; TLS needs listen,
 * cert and key go together. */
static int check_config(const json_t *config, weft_err *err)
{
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)config, key, v)
	{
		size_t i = 0;
		while (i < 4 && strcmp(key, init_keys[i]))
			i++;
		if (i == 4)
			return weft_err_set(
			        err,
			        "unknown option '%s' (expected: listen, tlsCert, tlsKey, "
			        "tlsClientCa)",
			        key);
		if (!json_is_string(v) || !*json_string_value(v))
			return weft_err_set(err, "%s: expected a non-empty string", key);
	}
	const char *cert = json_string_value(json_object_get(config, "tlsCert"));
	const char *pkey = json_string_value(json_object_get(config, "tlsKey"));
	if (!json_object_get(config, "listen") && json_object_size(config))
		return weft_err_set(err, "TLS options without listen");
	if ((cert != NULL) != (pkey != NULL))
		return weft_err_set(err, "tlsCert and tlsKey go together");
	if (json_object_get(config, "tlsClientCa") && !cert)
		return weft_err_set(err, "tlsClientCa needs tlsCert and tlsKey");
	return 0;
}

static int xds_adapter_init(weft_controller *c, const json_t *config, void **ctx, weft_err *err)
{
	if (check_config(config, err))
		return -1;
	struct xds_inst *in = calloc(1, sizeof(*in));
	if (!in)
		return weft_err_set(err, "out of memory");
	const char *listen = json_string_value(json_object_get(config, "listen"));
	if (listen) {
		xds_server_opts xo = {
		        .tls_cert_file = json_string_value(json_object_get(config, "tlsCert")),
		        .tls_key_file = json_string_value(json_object_get(config, "tlsKey")),
		        .tls_client_ca_file =
		                json_string_value(json_object_get(config, "tlsClientCa")),
		};
		if (!(in->server = xds_server_start(c, listen, &xo, err))) {
			free(in);
			return -1;
		}
	}
	*ctx = in;
	return 0;
}

static void xds_adapter_fini(void *ctx)
{
	struct xds_inst *in = ctx;
	if (!in)
		return;
	xds_server_stop(in->server);
	free(in);
}

xds_server *xds_adapter_server(void *ctx)
{
	return ctx ? ((struct xds_inst *)ctx)->server : NULL;
}

struct xds_cfg {
	json_t *summary;
	xds_feed_data *data;    /* desired only */
	weft_warnings warnings; /* desired only: what the views approximate */
};

static void cfg_free(void *p)
{
	struct xds_cfg *c = p;
	if (!c)
		return;
	json_decref(c->summary);
	xds_feed_data_free(c->data);
	weft_warnings_free(&c->warnings);
	free(c);
}

static void device_id(const weft_resource *dev, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", dev->ns, dev->name);
}

static int add_set(json_t *out, const char *type, const xds_resset *s)
{
	json_t *m = json_object_get(out, type);
	if (!m) {
		m = json_object();
		json_object_set_new(out, type, m);
	}
	for (size_t i = 0; s && i < s->count; i++)
		json_object_set_new(m, s->items[i]->name, json_string(s->items[i]->version));
	return 0;
}

json_t *xds_feed_summary(const xds_feed_data *d, weft_err *err)
{
	xds_render_input in = {d->res, d->n, weft_snapshot_model(d->snap)};
	xds_resset *cds, *eds, *lds, *rds;
	json_t *out = json_object();
	if (xds_render_clusters(&in, NULL, NULL, NULL, &cds, &eds, err)) {
		json_decref(out);
		return NULL;
	}
	add_set(out, "cds", cds);
	add_set(out, "eds", eds);
	xds_resset_unref(cds);
	xds_resset_unref(eds);
	for (int role = XDS_ROLE_PROXYLESS; role <= XDS_ROLE_SIDECAR; role++) {
		xds_view_key vk = {.role = (xds_role)role};
		if (xds_render_listeners(&in, &vk, NULL, NULL, &lds, &rds, err)) {
			json_decref(out);
			return NULL;
		}
		add_set(out, "lds", lds);
		add_set(out, "rds", rds);
		xds_resset_unref(lds);
		xds_resset_unref(rds);
	}
	return out;
}

static int xds_adapter_render(void *ctx, const weft_snapshot *snap, const weft_resource *dev,
                              void **desired, weft_err *err)
{
	(void)ctx;
	struct xds_cfg *c = calloc(1, sizeof(*c));
	if (!c || !(c->data = xds_feed_data_new((weft_snapshot *)snap, dev))) {
		free(c);
		return weft_err_set(err, "device %s/%s: out of memory", dev->ns, dev->name);
	}
	if (!(c->summary = xds_feed_summary(c->data, err))) {
		weft_err_prefix(err, "device %s/%s", dev->ns, dev->name);
		cfg_free(c);
		return -1;
	}
	xds_render_input in = {c->data->res, c->data->n, weft_snapshot_model(snap)};
	if (xds_render_warnings(&in, &c->warnings)) {
		cfg_free(c);
		return weft_err_set(err, "device %s/%s: out of memory", dev->ns, dev->name);
	}
	*desired = c;
	return 0;
}

static int xds_adapter_observe(void *ctx, void *session, const weft_resource *dev, void **actual,
                               weft_err *err)
{
	(void)session;
	char id[512];
	device_id(dev, id, sizeof(id));
	struct xds_cfg *c = calloc(1, sizeof(*c));
	if (!c)
		return weft_err_set(err, "device %s: out of memory", id);
	struct xds_server *s = xds_adapter_server(ctx);
	if (s) {
		pthread_mutex_lock(&s->mu);
		c->summary = json_deep_copy(
		        json_object_get(json_object_get(s->device_feeds, id), "resources"));
		pthread_mutex_unlock(&s->mu);
	}
	if (!c->summary)
		c->summary = json_object();
	json_t *unacked = s ? xds_server_unacked(s, id, err) : json_object();
	if (!unacked) {
		cfg_free(c);
		return -1;
	}
	const char *type;
	json_t *names;
	json_object_foreach(unacked, type, names)
	{
		json_t *m = json_object_get(c->summary, type);
		if (!m) {
			m = json_object();
			json_object_set_new(c->summary, type, m);
		}
		json_object_update(m, names);
	}
	json_decref(unacked);
	*actual = c;
	return 0;
}

static int xds_adapter_diff(void *ctx, const weft_resource *dev, const void *desired,
                            const void *actual, weft_plan *plan, weft_err *err)
{
	(void)ctx;
	const struct xds_cfg *d = desired, *a = actual;
	static const char *const types[] = {"cds", "eds", "lds", "rds"};
	for (size_t t = 0; t < 4; t++) {
		json_t *dm = json_object_get(d->summary, types[t]);
		json_t *am = json_object_get(a ? a->summary : NULL, types[t]);
		const char *name;
		json_t *v;
		json_object_foreach(dm, name, v)
		{
			json_t *old = json_object_get(am, name);
			char target[1024];
			snprintf(target, sizeof(target), "%s/%s", types[t], name);
			if ((!old || !json_equal(old, v)) &&
			    weft_plan_add(plan, old ? "update" : "publish", target,
			                  json_string_value(v)))
				return weft_err_set(err, "device %s/%s: out of memory", dev->ns,
				                    dev->name);
		}
		json_object_foreach(am, name, v)
		{
			char target[1024];
			snprintf(target, sizeof(target), "%s/%s", types[t], name);
			if (!json_object_get(dm, name) &&
			    weft_plan_add(plan, "remove", target, NULL))
				return weft_err_set(err, "device %s/%s: out of memory", dev->ns,
				                    dev->name);
		}
	}
	if (weft_warnings_append(&plan->warnings, &d->warnings))
		return weft_err_set(err, "device %s/%s: out of memory", dev->ns, dev->name);
	/* The slice to publish travels with the plan. */
	struct xds_cfg *p = calloc(1, sizeof(*p));
	if (!p || !(p->data = xds_feed_data_new(d->data->snap, d->data->device))) {
		free(p);
		return weft_err_set(err, "device %s/%s: out of memory", dev->ns, dev->name);
	}
	p->summary = json_incref(d->summary);
	plan->priv = p;
	plan->free_priv = cfg_free;
	return 0;
}

static int xds_adapter_apply(void *ctx, void *session, weft_plan *plan, weft_err *err)
{
	(void)session;
	struct xds_cfg *p = plan->priv;
	struct xds_server *s = xds_adapter_server(ctx);
	if (!s)
		return weft_err_set(err, "device %s: no xDS server is running (weftd --xds ADDR)",
		                    plan->device);
	pthread_mutex_lock(&s->mu);
	json_object_set_new(s->device_feeds, plan->device,
	                    json_pack("{s:I,s:O}", "revision", (json_int_t)plan->revision,
	                              "resources", p->summary));
	pthread_mutex_unlock(&s->mu);
	xds_server_publish(s, plan->device, p->data);
	p->data = NULL;
	return 0;
}

static int xds_adapter_prepare(void *ctx, void *session, weft_plan *plan, weft_err *err)
{
	(void)ctx;
	(void)session;
	(void)plan;
	(void)err;
	return 0;
}

static int xds_adapter_confirm(void *ctx, void *session, weft_plan *plan, weft_err *err)
{
	(void)ctx;
	(void)session;
	(void)plan;
	(void)err;
	return 0;
}

static int xds_adapter_abort(void *ctx, void *session, weft_plan *plan, weft_phase phase,
                             weft_err *err)
{
	(void)ctx;
	(void)session;
	(void)plan;
	(void)phase;
	(void)err;
	return 0;
}

static void xds_adapter_free_config(void *ctx, void *config)
{
	(void)ctx;
	cfg_free(config);
}

static const weft_adapter adapter = {
        .kind = "xds",
        .abi = WEFT_ADAPTER_ABI,
        .init = xds_adapter_init,
        .fini = xds_adapter_fini,
        .render = xds_adapter_render,
        .observe = xds_adapter_observe,
        .diff = xds_adapter_diff,
        .prepare = xds_adapter_prepare,
        .apply = xds_adapter_apply,
        .confirm = xds_adapter_confirm,
        .abort = xds_adapter_abort,
        .free_config = xds_adapter_free_config,
};

const weft_adapter *xds_adapter(void)
{
	return &adapter;
}
