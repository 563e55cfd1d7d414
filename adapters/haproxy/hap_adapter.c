/* The haproxy adapter's phases (core/adapter.h):
 *   open     SSH to the box (hap_ssh.c), host key pinned
 *   render   the .cfg from the resolved model (hap_render*.c)
 *   observe  the file over SFTP and `@1 show servers state` on the master
 *            CLI (runtime weights), for drift
 *   diff     runtime-only change or new file + reload (hap_diff.c)
 *   prepare  upload to CFG.weft-staged, `haproxy -c -f` it: a rejected file
 *            fails with HAProxy's own message, nothing changed
 *   apply    runtime commands through the master CLI (`@1 ...`), or the
 *            staged file renamed into place and `reload` on the master CLI,
 *            then `show proc` until a new worker runs (bounded)
 *   abort    the previous file back and a reload (apply), or the staged
 *            file removed (prepare)
 * Paths are validated (core/policy/validate_device.c) to hold no shell
 * characters; they are single-quoted in commands all the same. */
#include <errno.h>
#include <libssh2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "hap.h"
#include "hap_adapter.h"
#include "hap_session.h"
#include "policy-t.h"
#include "resource.h"

static int hap_init(weft_controller *c, const json_t *config, void **ctx, weft_err *err)
{
	(void)c;
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)config, k, v)
	{
		return weft_err_set(err, "haproxy: unknown option '%s'", k);
	}
	if (libssh2_init(0))
		return weft_err_set(err, "haproxy: libssh2_init failed");
	*ctx = NULL;
	return 0;
}

static char *read_secret(const weft_device_spec *d, const char *dev, weft_err *err)
{
	const weft_credentials *cr = d->connection->credentials;
	if (cr && cr->env) {
		const char *v = getenv(cr->env);
		if (!v || !*v) {
			weft_err_set(err,
			             "device %s: credentials: environment variable %s is not set",
			             dev, cr->env);
			return NULL;
		}
		return strdup(v);
	}
	FILE *f = cr && cr->file ? fopen(cr->file, "r") : NULL;
	if (!f) {
		weft_err_set(err, "device %s: credentials: cannot read %s: %s", dev,
		             cr && cr->file ? cr->file : "(none)", strerror(errno));
		return NULL;
	}
	char *buf = calloc(1, 65536);
	size_t n = buf ? fread(buf, 1, 65535, f) : 0;
	fclose(f);
	if (buf && !n) {
		free(buf);
		weft_err_set(err, "device %s: credentials: %s is empty", dev, cr->file);
		return NULL;
	}
	if (buf && strncmp(buf, "-----BEGIN", 10))
		buf[strcspn(buf, "\r\n")] = 0; /* a password: its first line */
	return buf;
}

static int hap_open(void *ctx, const weft_resource *device, void **session, weft_err *err)
{
	(void)ctx;
	const weft_device_spec *d = device->spec;
	struct hap_session *s = calloc(1, sizeof(*s));
	if (!s)
		return weft_err_set(err, "out of memory");
	snprintf(s->device, sizeof(s->device), "%s/%s", device->ns, device->name);
	if (!d->connection || !d->options || !d->options->config_file) {
		free(s);
		return weft_err_set(err,
		                    "device %s: connection and options.configFile are required",
		                    s->device);
	}
	snprintf(s->cfg, sizeof(s->cfg), "%s", d->options->config_file);
	snprintf(s->staged, sizeof(s->staged), "%s.weft-staged", s->cfg);
	snprintf(s->bin, sizeof(s->bin), "%s",
	         d->options->haproxy_binary ? d->options->haproxy_binary : "/usr/sbin/haproxy");
	s->master_port = d->options->master_port;
	char *secret = read_secret(d, s->device, err);
	if (!secret) {
		free(s);
		return -1;
	}
	struct hap_ssh_opts o = {.device = s->device,
	                         .address = d->connection->address,
	                         .port = d->connection->port ? d->connection->port : 22,
	                         .username = d->connection->username,
	                         .host_key = d->connection->host_key,
	                         .secret = secret,
	                         .timeout_ms = d->connection->timeout_ms};
	s->ssh = hap_ssh_open(&o, err);
	explicit_bzero(secret, strlen(secret));
	free(secret);
	if (!s->ssh) {
		free(s);
		return -1;
	}
	*session = s;
	return 0;
}

static void hap_close(void *ctx, void *session)
{
	(void)ctx;
	struct hap_session *s = session;
	if (s)
		hap_ssh_close(s->ssh);
	free(s);
}

static int hap_render_cb(void *ctx, const weft_snapshot *snap, const weft_resource *device,
                         void **desired, weft_err *err)
{
	(void)ctx;
	struct hap_config *c = NULL;
	if (hap_render(snap, device, &c, err))
		return -1;
	*desired = c;
	return 0;
}

/* Overlays `show servers state` (uweight, field 8) on the file's servers. */
static void overlay_state(struct hap_config *c, const char *state)
{
	const char *p = state;
	while (p && *p) {
		char be[256], srv[256];
		int w;
		if (*p != '#' &&
		    sscanf(p, "%*d %255s %*d %255s %*s %*d %*d %d", be, srv, &w) == 3) {
			for (size_t i = 0; i < c->n_backends; i++) {
				struct hap_backend *b = &c->backends[i];
				for (size_t j = 0; !strcmp(b->name, be) && j < b->n; j++)
					if (!strcmp(b->servers[j].name, srv))
						b->servers[j].runtime_weight = w;
			}
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
}

static int hap_observe(void *ctx, void *session, const weft_resource *device, void **actual,
                       weft_err *err)
{
	(void)ctx;
	(void)device;
	struct hap_session *s = session;
	char *text = NULL, *state = NULL;
	size_t len = 0;
	if (hap_ssh_read(s->ssh, s->cfg, &text, &len, err))
		return -1;
	struct hap_config *c = calloc(1, sizeof(*c));
	if (!c || hap_config_parse(c, text ? text : "", text ? len : 0)) {
		free(text);
		hap_config_free(c);
		return weft_err_set(err, "device %s: out of memory", s->device);
	}
	c->present = text != NULL;
	free(text);
	if (hap_ssh_cli(s->ssh, s->master_port, "@1 show servers state", &state, err)) {
		hap_config_free(c);
		return -1;
	}
	overlay_state(c, state);
	free(state);
	*actual = c;
	return 0;
}

static int hap_diff_cb(void *ctx, const weft_resource *device, const void *desired,
                       const void *actual, weft_plan *plan, weft_err *err)
{
	(void)ctx;
	(void)device;
	return hap_diff(desired, actual, plan, err);
}

static void hap_free_config(void *ctx, void *config)
{
	(void)ctx;
	hap_config_free(config);
}

static const weft_adapter haproxy = {
        .kind = "haproxy",
        .abi = WEFT_ADAPTER_ABI,
        .init = hap_init,
        .open = hap_open,
        .close = hap_close,
        .render = hap_render_cb,
        .observe = hap_observe,
        .diff = hap_diff_cb,
        .prepare = hap_prepare,
        .apply = hap_apply,
        .abort = hap_abort,
        .free_config = hap_free_config,
};

const weft_adapter *haproxy_adapter(void)
{
	return &haproxy;
}
