/* The YANG side of the netconf adapter: where models/yang is, the shared
 * model context that render, observe and diff work in, and the private
 * contexts of NETCONF sessions.
 *
 * Why two kinds of context: libnetconf2 2.0.24 extends the context it is
 * given at connect time with whatever the server announces (it loads
 * ietf-yang-library and fetches schemas with get-schema), so a context
 * shared by sessions would be modified by one device worker while another
 * parses with it -- libyang contexts are only safe to share read-only.
 * Sessions therefore get their own context, and get-config replies are
 * re-parsed from XML into the shared model context, which is built once
 * (pthread_once) and never modified afterwards.
 *
 * Session contexts are pooled per device in the adapter instance's pool
 * (ncdev_session_ctx_acquire / _release; two instances share none): building one costs parsing and
 * compiling ietf-netconf and weft-lb, and libnetconf2 then loads everything the server announces
 * into it, recompiling the context each time -- under load that was most of the 0.7-2.8 s a
 * reconnect cost. A context that served a session of a device already holds that device's modules,
 * so the next session to the same device (a reconnect, a dry-run plan, a drift check) takes it back
 * and libnetconf2 finds the modules there: no recompilation, and no yang-library round trip (see
 * docs/adapter-netconf.md, "Sessions"). A context is used by one session at a time (acquire hands
 * it out exclusively), so the "never modified while shared" rule above holds.
 *
 * The YANG directory: $WEFT_YANG_DIR when set, else the source tree's
 * models/yang compiled in as NCDEV_YANG_DIR. Standard modules are read from
 * its ietf/ subdirectory. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ncdev.h"
#include "ncdev_adapter.h"

#ifndef NCDEV_YANG_DIR
#define NCDEV_YANG_DIR "models/yang"
#endif

static pthread_once_t model_once = PTHREAD_ONCE_INIT;
static struct ly_ctx *model_ctx;
static const struct lys_module *model_mod;
static char model_error[1024];

const char *ncdev_yang_dir(void)
{
	const char *env = getenv("WEFT_YANG_DIR");
	return env && *env ? env : NCDEV_YANG_DIR;
}

void ncdev_ly_error(const struct ly_ctx *ctx, char *buf, size_t len)
{
	const struct ly_err_item *e = ctx ? ly_err_last(ctx) : NULL;
	if (!e) {
		snprintf(buf, len, "libyang error");
		return;
	}
	if (e->path)
		snprintf(buf, len, "%s (path %s)", e->msg ? e->msg : "error", e->path);
	else
		snprintf(buf, len, "%s", e->msg ? e->msg : "error");
}

/* A context with the YANG directory and its ietf/ on the search path and
 * weft-lb plus ietf-netconf (all features) implemented. */
static struct ly_ctx *context_new(char *msg, size_t len)
{
	const char *dir = ncdev_yang_dir();
	char ietf[4096];
	snprintf(ietf, sizeof(ietf), "%s/ietf", dir);
	struct ly_ctx *ctx = NULL;
	if (ly_ctx_new(dir, LY_CTX_DISABLE_SEARCHDIR_CWD, &ctx) != LY_SUCCESS) {
		snprintf(msg, len,
		         "netconf adapter: cannot use YANG directory %s (set WEFT_YANG_DIR)", dir);
		return NULL;
	}
	ly_ctx_set_searchdir(ctx, ietf);
	const char *all[] = {"*", NULL};
	if (!ly_ctx_load_module(ctx, "ietf-netconf", "2011-06-01", all) ||
	    !ly_ctx_load_module(ctx, "weft-lb", NULL, NULL)) {
		char ly[512];
		ncdev_ly_error(ctx, ly, sizeof(ly));
		snprintf(msg, len,
		         "netconf adapter: cannot load weft-lb/ietf-netconf from %s (set "
		         "WEFT_YANG_DIR): %s",
		         dir, ly);
		ly_ctx_destroy(ctx);
		return NULL;
	}
	return ctx;
}

static void model_init(void)
{
	/* libyang prints errors to stderr by default; they reach our error
	 * messages through ly_err_last instead. */
	ly_log_options(LY_LOSTORE_LAST);
	model_ctx = context_new(model_error, sizeof(model_error));
	if (model_ctx)
		model_mod = ly_ctx_get_module_implemented(model_ctx, "weft-lb");
}

const struct ly_ctx *ncdev_model_ctx(weft_err *err)
{
	pthread_once(&model_once, model_init);
	if (!model_ctx)
		weft_err_set(err, "%s", model_error);
	return model_ctx;
}

const struct lys_module *ncdev_model_module(void)
{
	return model_mod;
}

struct ly_ctx *ncdev_session_ctx_new(weft_err *err)
{
	char msg[1024];
	struct ly_ctx *ctx = context_new(msg, sizeof(msg));
	if (!ctx)
		weft_err_set(err, "%s", msg);
	return ctx;
}

/* ---- the pool of session contexts (one per adapter instance) ---- */

struct pooled_ctx {
	char key[300];      /* the device ("ns/name") */
	uint64_t caps_hash; /* the capabilities it was filled from */
	struct ly_ctx *ctx;
};

struct ncdev_ctx_pool {
	pthread_mutex_t mu;
	struct pooled_ctx *items;
	size_t n, max; /* idle contexts kept (one per device) */
};

struct ncdev_ctx_pool *ncdev_ctx_pool_new(size_t max)
{
	struct ncdev_ctx_pool *p = calloc(1, sizeof(*p));
	if (!p || !(p->items = calloc(max ? max : 1, sizeof(*p->items)))) {
		free(p);
		return NULL;
	}
	p->max = max;
	pthread_mutex_init(&p->mu, NULL);
	return p;
}

void ncdev_ctx_pool_free(struct ncdev_ctx_pool *p)
{
	if (!p)
		return;
	ncdev_ctx_pool_clear(p);
	pthread_mutex_destroy(&p->mu);
	free(p->items);
	free(p);
}

struct ly_ctx *ncdev_session_ctx_acquire(struct ncdev_ctx_pool *p, const char *key,
                                         uint64_t *caps_hash, weft_err *err)
{
	*caps_hash = 0;
	if (!p)
		return ncdev_session_ctx_new(err);
	pthread_mutex_lock(&p->mu);
	for (size_t i = 0; i < p->n; i++) {
		if (strcmp(p->items[i].key, key))
			continue;
		struct ly_ctx *ctx = p->items[i].ctx;
		*caps_hash = p->items[i].caps_hash;
		p->items[i] = p->items[--p->n];
		pthread_mutex_unlock(&p->mu);
		return ctx;
	}
	pthread_mutex_unlock(&p->mu);
	return ncdev_session_ctx_new(err);
}

void ncdev_session_ctx_release(struct ncdev_ctx_pool *p, const char *key, uint64_t caps_hash,
                               struct ly_ctx *ctx)
{
	if (!ctx)
		return;
	if (p) {
		pthread_mutex_lock(&p->mu);
		int kept = 0;
		for (size_t i = 0; i < p->n && !kept; i++)
			kept = !strcmp(p->items[i].key, key); /* one idle context per device */
		if (!kept && p->n < p->max) {
			snprintf(p->items[p->n].key, sizeof(p->items[p->n].key), "%s", key);
			p->items[p->n].caps_hash = caps_hash;
			p->items[p->n].ctx = ctx;
			p->n++;
			ctx = NULL;
		}
		pthread_mutex_unlock(&p->mu);
	}
	if (ctx)
		ly_ctx_destroy(ctx);
}

void ncdev_ctx_pool_clear(struct ncdev_ctx_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	while (p->n > 0)
		ly_ctx_destroy(p->items[--p->n].ctx);
	pthread_mutex_unlock(&p->mu);
}

size_t ncdev_ctx_pool_count(struct ncdev_ctx_pool *p)
{
	pthread_mutex_lock(&p->mu);
	size_t n = p->n;
	pthread_mutex_unlock(&p->mu);
	return n;
}

void ncdev_config_free(void *config)
{
	struct ncdev_config *c = config;
	if (!c)
		return;
	lyd_free_all(c->tree);
	weft_warnings_free(&c->warnings);
	free(c);
}

char *ncdev_config_xml(const void *config)
{
	const struct ncdev_config *c = config;
	char *out = NULL;
	if (!c || !c->tree)
		return strdup("");
	if (lyd_print_mem(&out, c->tree, LYD_XML, LYD_PRINT_WITHSIBLINGS) != LY_SUCCESS)
		return NULL;
	return out ? out : strdup("");
}
