/* weftd: the weft daemon. Argument parsing only; run.c wires the
 * controller (core/controller.h), the REST API (core/api/api.h) and the
 * policy directory watch (core/api/watch.h); config.c reads --config FILE
 * into the same parser. Exit 2 on usage errors.
 * See docs/weftd.md. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "weft_version.h"
#include "weftd.h"

static const char usage_text[] =
        "usage: weftd [--config FILE] --state DIR [--policy DIR] [--api HOST:PORT]\n"
        "             [--tls-cert FILE --tls-key FILE] [--tokens FILE] [--plugins DIR]\n"
        "             [--store URL] [--quiet-ms N] [--max-delay-ms N] [--keep-revisions N]\n"
        "             [--store-ca F] [--store-cert F --store-key F] [--store-credentials F]\n"
        "             [--replica NAME] [--lease-ttl DURATION]\n"
        "             [--log-format text|json] [--log-level debug|info|warn|error]\n"
        "             [--ready-file FILE] [--file-root DIR] [--reconcile-ms N]\n"
        "             [--txn-mode independent|atomic] [--version]\n"
        "             [--xds HOST:PORT [--xds-tls-cert F --xds-tls-key F [--xds-tls-ca F]]]\n"
        "  --config: a file of 'key = value' lines, keys being the long flag names\n"
        "            (state = /var/lib/weft); flags on the command line override it.\n"
        "  --api defaults to " WEFT_API_DEFAULT_LISTEN "; port 0 picks a free port.\n"
        "  A non-loopback --api needs --tls-cert, --tls-key and --tokens.\n"
        "  --store: a state directory (default: --state) or\n"
        "           etcd://HOST:PORT[,HOST:PORT...][/PREFIX]; --store-ca/-cert/-key\n"
        "           make it HTTPS, --store-credentials FILE holds USER:PASSWORD (or\n"
        "           WEFT_STORE_USER and WEFT_STORE_PASSWORD in the environment).\n"
        "  --replica: this weftd's name among the replicas of an etcd store\n"
        "             (default HOST:PID); --lease-ttl: the leader's lease (default 5s).\n"
        "  --file-root: where file devices' relative directories resolve (default: .).\n"
        "  --reconcile-ms: drift check period per device (default 30000; 0 disables).\n"
        "  --xds: serve the xDS ADS API (Envoy, proxyless gRPC) there.\n"
        "  --txn-mode: push each revision to every device or none (atomic), or to\n"
        "              each device on its own (independent, the default).\n";

/* "FILE:LINE" while a --config entry is parsed, for the error message. */
static const char *usage_where;

static int usage(const char *fmt, const char *arg)
{
	if (fmt) {
		fputs("weftd: ", stderr);
		if (usage_where)
			fprintf(stderr, "%s: ", usage_where);
		fprintf(stderr, fmt, arg ? arg : "");
		fputc('\n', stderr);
	}
	fputs(usage_text, stderr);
	return 2;
}

static int parse_num(const char *s, long max, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > max)
		return -1;
	*out = v;
	return 0;
}

/* "5s", "2500ms", "1m" -> milliseconds. */
static int parse_duration_ms(const char *s, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || v < 0 || v > 86400000)
		return -1;
	if (!strcmp(end, "ms"))
		*out = v;
	else if (!strcmp(end, "s"))
		*out = v * 1000;
	else if (!strcmp(end, "m"))
		*out = v * 60000;
	else
		return -1;
	return 0;
}

enum {
	OPT_STATE = 256,
	OPT_POLICY,
	OPT_API,
	OPT_CERT,
	OPT_KEY,
	OPT_TOKENS,
	OPT_PLUGINS,
	OPT_STORE,
	OPT_QUIET,
	OPT_MAXDELAY,
	OPT_KEEP,
	OPT_LOGFMT,
	OPT_LOGLEVEL,
	OPT_READY,
	OPT_FILEROOT,
	OPT_RECONCILE,
	OPT_TXNMODE,
	OPT_XDS,
	OPT_XDS_CERT,
	OPT_XDS_KEY,
	OPT_XDS_CA,
	OPT_STORE_CA,
	OPT_STORE_CERT,
	OPT_STORE_KEY,
	OPT_STORE_CRED,
	OPT_REPLICA,
	OPT_LEASE_TTL,
	OPT_VERSION,
	OPT_CONFIG,
};

static const struct option longopts[] = {
        {"state", required_argument, NULL, OPT_STATE},
        {"policy", required_argument, NULL, OPT_POLICY},
        {"api", required_argument, NULL, OPT_API},
        {"tls-cert", required_argument, NULL, OPT_CERT},
        {"tls-key", required_argument, NULL, OPT_KEY},
        {"tokens", required_argument, NULL, OPT_TOKENS},
        {"plugins", required_argument, NULL, OPT_PLUGINS},
        {"store", required_argument, NULL, OPT_STORE},
        {"quiet-ms", required_argument, NULL, OPT_QUIET},
        {"max-delay-ms", required_argument, NULL, OPT_MAXDELAY},
        {"keep-revisions", required_argument, NULL, OPT_KEEP},
        {"log-format", required_argument, NULL, OPT_LOGFMT},
        {"log-level", required_argument, NULL, OPT_LOGLEVEL},
        {"ready-file", required_argument, NULL, OPT_READY},
        {"file-root", required_argument, NULL, OPT_FILEROOT},
        {"reconcile-ms", required_argument, NULL, OPT_RECONCILE},
        {"txn-mode", required_argument, NULL, OPT_TXNMODE},
        {"xds", required_argument, NULL, OPT_XDS},
        {"xds-tls-cert", required_argument, NULL, OPT_XDS_CERT},
        {"xds-tls-key", required_argument, NULL, OPT_XDS_KEY},
        {"xds-tls-ca", required_argument, NULL, OPT_XDS_CA},
        {"store-ca", required_argument, NULL, OPT_STORE_CA},
        {"store-cert", required_argument, NULL, OPT_STORE_CERT},
        {"store-key", required_argument, NULL, OPT_STORE_KEY},
        {"store-credentials", required_argument, NULL, OPT_STORE_CRED},
        {"replica", required_argument, NULL, OPT_REPLICA},
        {"lease-ttl", required_argument, NULL, OPT_LEASE_TTL},
        {"version", no_argument, NULL, OPT_VERSION},
        {"config", required_argument, NULL, OPT_CONFIG},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
};

/* One numeric option into *dst. 0 or the usage exit code. */
static int number(const char *name, const char *arg, long max, long *dst)
{
	if (parse_num(arg, max, dst) != 0)
		return usage(name, arg);
	return 0;
}

static int parse_one(int c, const char *arg, weftd_opts *o)
{
	long v = 0;
	int rc = 0;
	switch (c) {
	case OPT_STATE:
		o->state_dir = arg;
		break;
	case OPT_POLICY:
		o->policy_dir = arg;
		break;
	case OPT_API:
		o->listen = arg;
		break;
	case OPT_CERT:
		o->tls_cert = arg;
		break;
	case OPT_KEY:
		o->tls_key = arg;
		break;
	case OPT_TOKENS:
		o->tokens_file = arg;
		break;
	case OPT_PLUGINS:
		o->plugin_dir = arg;
		break;
	case OPT_STORE:
		o->store_url = arg;
		break;
	case OPT_STORE_CA:
		o->store_ca = arg;
		break;
	case OPT_STORE_CERT:
		o->store_cert = arg;
		break;
	case OPT_STORE_KEY:
		o->store_key = arg;
		break;
	case OPT_STORE_CRED:
		o->store_credentials = arg;
		break;
	case OPT_REPLICA:
		if (!*arg || strlen(arg) > 200)
			rc = usage("--replica: expected a name of 1 to 200 characters, got '%s'",
			           arg);
		o->replica = arg;
		break;
	case OPT_LEASE_TTL:
		if (parse_duration_ms(arg, &o->lease_ttl_ms) != 0 || o->lease_ttl_ms < 2000 ||
		    o->lease_ttl_ms > 3600000)
			rc = usage("--lease-ttl: expected a duration from 2s to 1h (e.g. 3s, "
			           "2500ms), got '%s'",
			           arg);
		break;
	case OPT_READY:
		o->ready_file = arg;
		break;
	case OPT_FILEROOT:
		o->file_root = arg;
		break;
	case OPT_XDS:
		o->xds_listen = arg;
		break;
	case OPT_XDS_CERT:
		o->xds_tls_cert = arg;
		break;
	case OPT_XDS_KEY:
		o->xds_tls_key = arg;
		break;
	case OPT_XDS_CA:
		o->xds_tls_ca = arg;
		break;
	case OPT_TXNMODE:
		if (!strcmp(arg, "atomic"))
			o->atomic = 1;
		else if (!strcmp(arg, "independent"))
			o->atomic = 0;
		else
			rc = usage("--txn-mode: expected atomic or independent, got '%s'", arg);
		break;
	case OPT_RECONCILE:
		if (!(rc = number("--reconcile-ms: expected milliseconds, got '%s'", arg, 86400000,
		                  &v)))
			o->reconcile_ms = v == 0 ? -1 : (int)v;
		break;
	case OPT_QUIET:
		if (!(rc = number("--quiet-ms: expected milliseconds, got '%s'", arg, 600000, &v)))
			o->quiet_ms = (int)v;
		break;
	case OPT_MAXDELAY:
		if (!(rc = number("--max-delay-ms: expected milliseconds, got '%s'", arg, 3600000,
		                  &v)))
			o->max_delay_ms = (int)v;
		break;
	case OPT_KEEP:
		if (!(rc = number("--keep-revisions: expected a count, got '%s'", arg, LONG_MAX,
		                  &v)))
			o->keep_revisions = v;
		break;
	case OPT_LOGFMT:
		if (weft_log_format_parse(arg, &o->log_format) != 0)
			rc = usage("--log-format: expected text or json, got '%s'", arg);
		break;
	case OPT_LOGLEVEL:
		if (weft_log_level_parse(arg, &o->log_level) != 0)
			rc = usage("--log-level: expected debug, info, warn or error, got '%s'",
			           arg);
		break;
	default:
		rc = usage(NULL, NULL);
	}
	return rc;
}

static int config_entry(int opt, const char *value, const char *where, void *ctx)
{
	usage_where = where;
	int rc = parse_one(opt, value, ctx);
	usage_where = NULL;
	return rc;
}

/* A first pass over argv for --config alone, so that the file is read
 * before the command line and the command line overrides it. Errors are
 * left to the second pass. Returns 0 or an exit code. */
static int load_config(int argc, char **argv, weftd_opts *o)
{
	const char *path = NULL;
	int c, action = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (c == OPT_CONFIG)
			path = optarg;
		else if (c == 'h' || c == OPT_VERSION)
			action = 1;
	}
	optind = 0; /* glibc: start the next getopt_long pass afresh */
	if (!path || action)
		return 0;
	return weftd_config_load(path, longopts, config_entry, o);
}

int main(int argc, char **argv)
{
	weftd_opts o = {
	        .listen = WEFT_API_DEFAULT_LISTEN,
	        .keep_revisions = -1,
	        .log_format = WEFT_LOG_TEXT,
	        .log_level = WEFT_LOG_INFO,
	        .lease_ttl_ms = 5000,
	};
	int c;
	opterr = 0;
	if ((c = load_config(argc, argv, &o)) != 0)
		return c;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		int rc;
		if (c == 'h') {
			fputs(usage_text, stdout);
			return 0;
		}
		if (c == OPT_VERSION) {
			printf("weftd %s (commit %s)\n", WEFT_VERSION, WEFT_GIT_COMMIT);
			return 0;
		}
		if (c == OPT_CONFIG)
			continue;
		if (c == ':')
			return usage("option %s needs a value", argv[optind - 1]);
		if (c == '?')
			return usage("unknown option %s", argv[optind - 1]);
		if ((rc = parse_one(c, optarg, &o)) != 0)
			return rc;
	}
	if (optind < argc)
		return usage("unexpected argument '%s'", argv[optind]);
	if (!o.state_dir)
		return usage("--state DIR is required", NULL);
	if ((o.tls_cert != NULL) != (o.tls_key != NULL))
		return usage("--tls-cert and --tls-key go together", NULL);
	if ((o.store_cert != NULL) != (o.store_key != NULL))
		return usage("--store-cert and --store-key go together", NULL);
	return weftd_run(&o);
}
