/* ncsim control interface: plain HTTP/JSON on a loopback port (--control).
 *
 * Tests use it to turn fault knobs per device at run time and to read what
 * each device received (RPC counters per operation and the last RPCs with
 * their content), the way curl's test servers log the traffic so a test
 * can assert on the exact calls a change cost. docs/ncsim.md lists the
 * routes. libmicrohttpd runs it on its own thread; every device access
 * takes the device's lock.
 */
#include "ncsim.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <microhttpd.h>

struct body {
	char *data;
	size_t len;
};

static const char *const cap_names[] = {
        "candidate",        "confirmed-commit", "validate", "rollback-on-error",
        "writable-running", "startup",          "xpath",
};

static json_t *device_json(struct ncdev *dev)
{
	json_t *o = json_object(), *caps = json_array(), *sess = json_array(),
	       *locks = json_object();
	struct ncsim *sim = dev->sim;

	for (unsigned i = 0; i < sizeof(cap_names) / sizeof(cap_names[0]); i++)
		if (dev->caps & (1u << i))
			json_array_append_new(caps, json_string(cap_names[i]));
	pthread_mutex_lock(&dev->lock);
	for (int i = 0; i < NCSIM_MAX_SESSIONS; i++)
		if (dev->sessions[i])
			json_array_append_new(sess, json_integer(dev->sessions[i]->id));
	for (int d = 0; d < DS_COUNT; d++)
		json_object_set_new(locks, ds_name(d), json_integer(dev->locks[d]));
	json_object_set_new(o, "index", json_integer(dev->index));
	json_object_set_new(o, "name", json_string(dev->name));
	if (sim->opts.ssh_base_port)
		json_object_set_new(o, "port", json_integer(sim->opts.ssh_base_port + dev->index));
	json_object_set_new(o, "capabilities", caps);
	json_object_set_new(o, "sessions", sess);
	json_object_set_new(o, "locks", locks);
	json_object_set_new(o, "candidate_dirty", json_boolean(dev->candidate_dirty));
	json_object_set_new(o, "confirmed_commit_pending", json_boolean(dev->cc.pending));
	json_object_set_new(o, "rpc_total", json_integer((json_int_t)dev->rpc_total));
	pthread_mutex_unlock(&dev->lock);
	return o;
}

static json_t *counters_json(struct ncdev *dev)
{
	json_t *o = json_object();

	pthread_mutex_lock(&dev->lock);
	for (int i = 0; i < OP_COUNT; i++)
		json_object_set_new(o, op_name(i), json_integer((json_int_t)dev->counters[i]));
	json_object_set_new(o, "total", json_integer((json_int_t)dev->rpc_total));
	pthread_mutex_unlock(&dev->lock);
	return o;
}

static json_t *log_json(struct ncdev *dev, unsigned long long since)
{
	json_t *a = json_array();
	uint64_t first;

	pthread_mutex_lock(&dev->lock);
	first = dev->log_seq > NCSIM_LOG_SIZE ? dev->log_seq - NCSIM_LOG_SIZE : 0;
	if (first < dev->log_base)
		first = dev->log_base;
	for (uint64_t s = first > since ? first : since; s < dev->log_seq; s++) {
		struct rpc_log_entry *le = &dev->log[s % NCSIM_LOG_SIZE];

		json_array_append_new(
		        a, json_pack("{s:I, s:i, s:s, s:s, s:I}", "seq", (json_int_t)le->seq,
		                     "session_id", (int)le->session_id, "op", le->op, "xml",
		                     le->xml ? le->xml : "", "at_ms", (json_int_t)le->at_ms));
	}
	pthread_mutex_unlock(&dev->lock);
	return json_pack("{s:o}", "entries", a);
}

static void clear_log(struct ncdev *dev)
{
	pthread_mutex_lock(&dev->lock);
	memset(dev->counters, 0, sizeof(dev->counters));
	dev->rpc_total = 0;
	dev->log_base = dev->log_seq;
	pthread_mutex_unlock(&dev->lock);
}

static json_t *faults_json(struct ncdev *dev)
{
	struct faults f;

	pthread_mutex_lock(&dev->lock);
	f = dev->faults;
	pthread_mutex_unlock(&dev->lock);
	return json_pack("{s:i, s:b, s:b, s:b}", "latency_ms", f.latency_ms, "reject_next_commit",
	                 f.reject_next_commit, "fail_validation", f.fail_validation,
	                 "drop_next_rpc", f.drop_next_rpc);
}

static int set_faults(struct ncdev *dev, json_t *in)
{
	json_t *v;

	pthread_mutex_lock(&dev->lock);
	if ((v = json_object_get(in, "latency_ms")) && json_is_integer(v))
		dev->faults.latency_ms = (int)json_integer_value(v);
	if ((v = json_object_get(in, "reject_next_commit")))
		dev->faults.reject_next_commit = json_is_true(v);
	if ((v = json_object_get(in, "fail_validation")))
		dev->faults.fail_validation = json_is_true(v);
	if ((v = json_object_get(in, "drop_next_rpc")))
		dev->faults.drop_next_rpc = json_is_true(v);
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

static void drop_sessions(struct ncdev *dev)
{
	pthread_mutex_lock(&dev->lock);
	for (int i = 0; i < NCSIM_MAX_SESSIONS; i++)
		if (dev->sessions[i])
			sess_drop(dev->sessions[i]);
	pthread_mutex_unlock(&dev->lock);
}

static char *datastore_xml(struct ncdev *dev, enum ds_id ds)
{
	char *xml = NULL;

	pthread_mutex_lock(&dev->lock);
	if (dev->ds[ds])
		lyd_print_mem(&xml, dev->ds[ds], LYD_XML, LYD_PRINT_WITHSIBLINGS);
	pthread_mutex_unlock(&dev->lock);
	return xml ? xml : strdup("");
}

/* PUT running: an out-of-band change on the device (drift). */
static const char *put_running(struct ncdev *dev, const char *xml)
{
	struct lyd_node *tree = NULL;
	struct nc_server_reply *r;

	if (xml && xml[0] &&
	    lyd_parse_data_mem(dev->sim->ctx, xml, LYD_XML,
	                       LYD_PARSE_ONLY | LYD_PARSE_STRICT | LYD_PARSE_NO_STATE, 0, &tree))
		return "cannot parse the XML body";
	pthread_mutex_lock(&dev->lock);
	r = ds_validate_tree(dev, &tree);
	if (!r) {
		ds_set(dev, DS_RUNNING, tree);
		tree = NULL;
		if (!dev->candidate_dirty) {
			ds_set(dev, DS_CANDIDATE, NULL);
			lyd_dup_siblings(dev->ds[DS_RUNNING], NULL, LYD_DUP_RECURSIVE,
			                 &dev->ds[DS_CANDIDATE]);
		}
		ds_persist(dev);
	}
	pthread_mutex_unlock(&dev->lock);
	lyd_free_all(tree);
	if (r) {
		nc_server_reply_free(r);
		return "the data does not validate";
	}
	return NULL;
}

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned status, char *text,
                                 const char *type)
{
	struct MHD_Response *r =
	        MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result ret;

	MHD_add_response_header(r, "Content-Type", type);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);

	json_decref(j);
	return send_text(c, status, s ? s : strdup("{}"), "application/json");
}

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status, const char *msg)
{
	return send_json(c, status, json_pack("{s:s}", "error", msg));
}

static enum MHD_Result device_route(struct ncsim *sim, struct MHD_Connection *c, const char *method,
                                    const char *rest, struct body *b);

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
	struct ncsim *sim = cls;
	struct body *b = *con_cls;

	if (!b) {
		*con_cls = calloc(1, sizeof(struct body));
		return *con_cls ? MHD_YES : MHD_NO;
	}
	if (*upload_size) {
		if (b->len + *upload_size > (8u << 20))
			return MHD_NO;
		b->data = realloc(b->data, b->len + *upload_size + 1);
		memcpy(b->data + b->len, upload, *upload_size);
		b->len += *upload_size;
		b->data[b->len] = '\0';
		*upload_size = 0;
		return MHD_YES;
	}
	if (!strcmp(url, "/info"))
		return send_json(c, 200,
		                 json_pack("{s:i, s:s, s:s?, s:s?, s:i, s:s?, s:i}", "devices",
		                           sim->ndev, "transport",
		                           sim->opts.unix_dir        ? "unix"
		                           : sim->opts.ssh_base_port ? "ssh"
		                                                     : "tls",
		                           "hostkey_fingerprint", sim->host_key_fpr, "hostkey",
		                           sim->host_key_pub, "base_port", sim->opts.ssh_base_port,
		                           "unix_dir", sim->opts.unix_dir, "tls_base_port",
		                           sim->opts.tls_base_port));
	if (!strcmp(url, "/devices")) {
		json_t *a = json_array();

		for (int i = 0; i < sim->ndev; i++)
			json_array_append_new(a, device_json(&sim->devs[i]));
		return send_json(c, 200, a);
	}
	if (!strncmp(url, "/devices/", 9))
		return device_route(sim, c, method, url + 9, b);
	return send_error(c, 404, "no such route");
}

/* Applies a route to one device; "all" is used for '*'. */
static enum MHD_Result one_device(struct ncsim *sim, struct MHD_Connection *c, struct ncdev *dev,
                                  const char *method, const char *what, struct body *b, json_t *in)
{
	int get = !strcmp(method, "GET");

	if (!what[0] && get)
		return send_json(c, 200, device_json(dev));
	if (!strcmp(what, "counters") && get)
		return send_json(c, 200, counters_json(dev));
	if (!strcmp(what, "log") && get) {
		const char *since = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "since");

		return send_json(c, 200, log_json(dev, since ? strtoull(since, NULL, 10) : 0));
	}
	if (!strcmp(what, "log") && !strcmp(method, "DELETE")) {
		clear_log(dev);
		return send_json(c, 200, json_object());
	}
	if (!strcmp(what, "faults") && get)
		return send_json(c, 200, faults_json(dev));
	if (!strncmp(what, "datastore/", 10) && get) {
		for (int d = 0; d < DS_COUNT; d++)
			if (!strcmp(what + 10, ds_name(d)))
				return send_text(c, 200, datastore_xml(dev, d), "application/xml");
		return send_error(c, 404, "no such datastore");
	}
	if (!strcmp(what, "datastore/running") && !strcmp(method, "PUT")) {
		const char *err = put_running(dev, b->data);

		return err ? send_error(c, 400, err) : send_json(c, 200, json_object());
	}
	return send_error(c, 404, "no such route");
}

static enum MHD_Result device_route(struct ncsim *sim, struct MHD_Connection *c, const char *method,
                                    const char *rest, struct body *b)
{
	const char *slash = strchr(rest, '/'), *what = slash ? slash + 1 : "";
	int all = rest[0] == '*', idx = atoi(rest);
	json_t *in = NULL;
	json_error_t jerr;

	if (!all && (rest[0] < '0' || rest[0] > '9' || idx < 0 || idx >= sim->ndev))
		return send_error(c, 404, "no such device");
	if (!strcmp(method, "POST") &&
	    (!strcmp(what, "faults") || !strcmp(what, "drop-sessions"))) {
		if (!strcmp(what, "faults")) {
			in = json_loads(b->data ? b->data : "{}", 0, &jerr);
			if (!json_is_object(in)) {
				json_decref(in);
				return send_error(c, 400, "body must be a JSON object");
			}
		}
		for (int i = all ? 0 : idx; i < (all ? sim->ndev : idx + 1); i++) {
			if (in)
				set_faults(&sim->devs[i], in);
			else
				drop_sessions(&sim->devs[i]);
		}
		json_decref(in);
		return send_json(c, 200, all ? json_object() : faults_json(&sim->devs[idx]));
	}
	if (all)
		return send_error(c, 400, "'*' only works for POST faults and drop-sessions");
	return one_device(sim, c, &sim->devs[idx], method, what, b, NULL);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
	struct body *b = *con_cls;

	if (b) {
		free(b->data);
		free(b);
	}
	*con_cls = NULL;
}

int control_start(struct ncsim *sim, const char *spec)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	char host[64];
	const char *colon = strrchr(spec, ':');
	size_t hl;

	if (!colon || (hl = (size_t)(colon - spec)) >= sizeof(host))
		return -1;
	memcpy(host, spec, hl);
	host[hl] = '\0';
	sa.sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return -1;
	sim->control =
	        MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG,
	                         ntohs(sa.sin_port), NULL, NULL, handler, sim, MHD_OPTION_SOCK_ADDR,
	                         &sa, MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_END);
	return sim->control ? 0 : -1;
}

void control_stop(struct ncsim *sim)
{
	if (sim->control)
		MHD_stop_daemon(sim->control);
	sim->control = NULL;
}
