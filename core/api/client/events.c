/* weftctl events: follows GET /v1/events (server-sent events) and prints
 * one line per event -- time, id, type and a summary -- or, with -o json,
 * the event as one JSON object per line. A "gap" notice (events the
 * server no longer holds) is printed the same way. Stops after --count
 * events, at --timeout, or when the server closes the stream. */
#include <curl/curl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wctl-int.h"

struct follower {
	const wctl_opts *o;
	char *line; /* the current, incomplete line */
	size_t len, cap;
	long long id;
	char type[32];
	char *data;
	long seen, count;
	char head[2048]; /* the first bytes of the body: the error of a refusal */
	size_t head_len;
	wctl_event_fn fn;           /* NULL: print each event */
	void (*on_open)(void *arg); /* once, when the stream's first bytes arrive */
	void *fn_arg;
	int opened;
};

static void summary(const struct follower *f, json_t *d, char *out, size_t size)
{
	if (!strcmp(f->type, "revision"))
		snprintf(out, size,
		         "revision %lld by %s: %s (%lld created, %lld updated, %lld deleted)",
		         (long long)json_integer_value(json_object_get(d, "revision")),
		         json_string_value(json_object_get(d, "author")),
		         json_string_value(json_object_get(d, "message")),
		         (long long)json_integer_value(json_object_get(d, "created")),
		         (long long)json_integer_value(json_object_get(d, "updated")),
		         (long long)json_integer_value(json_object_get(d, "deleted")));
	else if (!strcmp(f->type, "device"))
		snprintf(out, size, "%s (%s) %s at revision %lld%s%s",
		         json_string_value(json_object_get(d, "name")),
		         json_string_value(json_object_get(d, "kind")),
		         json_string_value(json_object_get(d, "state")),
		         (long long)json_integer_value(json_object_get(d, "revision")),
		         json_is_string(json_object_get(d, "last_error")) ? ": " : "",
		         json_is_string(json_object_get(d, "last_error"))
		                 ? json_string_value(json_object_get(d, "last_error"))
		                 : "");
	else if (!strcmp(f->type, "transaction"))
		snprintf(out, size, "transaction %lld for revision %lld %s in %lld ms%s%s",
		         (long long)json_integer_value(json_object_get(d, "id")),
		         (long long)json_integer_value(json_object_get(d, "revision")),
		         json_string_value(json_object_get(d, "outcome")),
		         (long long)json_integer_value(json_object_get(d, "duration_ms")),
		         json_is_string(json_object_get(d, "cause")) ? ": " : "",
		         json_is_string(json_object_get(d, "cause"))
		                 ? json_string_value(json_object_get(d, "cause"))
		                 : "");
	else if (!strcmp(f->type, "gap"))
		snprintf(out, size, "events %lld..%lld were missed (%lld): no longer held by weftd",
		         (long long)json_integer_value(json_object_get(d, "from")),
		         (long long)json_integer_value(json_object_get(d, "to")),
		         (long long)json_integer_value(json_object_get(d, "missed")));
	else
		snprintf(out, size, "%s", f->data ? f->data : "");
}

static void emit(struct follower *f)
{
	if (!f->data)
		return;
	json_t *d = json_loads(f->data, 0, NULL);
	if (f->fn) {
		if (f->fn(f->fn_arg, f->type, d))
			f->seen++;
		json_decref(d);
		free(f->data);
		f->data = NULL;
		return;
	}
	if (f->o->json) {
		json_t *e = json_pack("{s:I, s:s, s:O}", "id", (json_int_t)f->id, "type", f->type,
		                      "data", d ? d : json_null());
		char *text = json_dumps(e, JSON_COMPACT);
		fprintf(f->o->out, "%s\n", text ? text : "{}");
		free(text);
		json_decref(e);
	} else {
		/* when it happened (data.time_ms), else when it arrived */
		char when[32], text[1024];
		json_t *ms = json_object_get(d, "time_ms");
		time_t at =
		        json_is_integer(ms) ? (time_t)(json_integer_value(ms) / 1000) : time(NULL);
		struct tm tm;
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime_r(&at, &tm));
		summary(f, d, text, sizeof(text));
		fprintf(f->o->out, "%s  %-5lld %-12s %s\n", when, f->id, f->type, text);
	}
	fflush(f->o->out);
	json_decref(d);
	free(f->data);
	f->data = NULL;
	/* a gap notice is not an event: it does not count towards --count */
	if (strcmp(f->type, "gap"))
		f->seen++;
}

/* One complete line of the stream (SSE fields; blank line ends an event). */
static void on_line(struct follower *f, const char *line)
{
	if (!*line)
		emit(f);
	else if (!strncmp(line, "id: ", 4))
		f->id = atoll(line + 4);
	else if (!strncmp(line, "event: ", 7))
		snprintf(f->type, sizeof(f->type), "%s", line + 7);
	else if (!strncmp(line, "data: ", 6)) {
		free(f->data);
		f->data = strdup(line + 6);
	}
}

static size_t on_bytes(char *p, size_t size, size_t n, void *arg)
{
	struct follower *f = arg;
	size_t total = size * n;
	if (!f->opened && f->on_open && total) {
		f->opened = 1; /* the server's first comment: the stream is live */
		f->on_open(f->fn_arg);
	}
	size_t keep = sizeof(f->head) - 1 - f->head_len;
	keep = total < keep ? total : keep;
	memcpy(f->head + f->head_len, p, keep);
	f->head_len += keep;
	f->head[f->head_len] = '\0';
	for (size_t i = 0; i < total; i++) {
		if (p[i] == '\n') {
			f->line[f->len] = 0;
			on_line(f, f->line);
			f->len = 0;
			if (f->count > 0 && f->seen >= f->count)
				return 0; /* enough: stop the transfer */
			continue;
		}
		if (f->len + 2 > f->cap) {
			size_t cap = f->cap ? f->cap * 2 : 4096;
			char *nl = realloc(f->line, cap);
			if (!nl)
				return 0;
			f->line = nl;
			f->cap = cap;
		}
		f->line[f->len++] = p[i];
	}
	return total;
}

int wctl_events(const wctl_opts *o, long count, long timeout_s, long long since)
{
	return wctl_follow(o, count, timeout_s, since, NULL, NULL, NULL);
}

int wctl_follow(const wctl_opts *o, long count, long timeout_s, long long since, wctl_event_fn fn,
                void (*on_open)(void *arg), void *arg)
{
	const char *server = o->server && *o->server ? o->server : WCTL_DEFAULT_SERVER;
	char url[1024];
	if (since >= 0)
		snprintf(url, sizeof(url), "%s/v1/events?since=%lld", server, since);
	else
		snprintf(url, sizeof(url), "%s/v1/events", server);
	CURL *curl = curl_easy_init();
	if (!curl)
		return WCTL_FAILED;
	struct follower f = {.o = o, .count = count, .fn = fn, .on_open = on_open, .fn_arg = arg};
	struct curl_slist *headers = NULL;
	char auth[600];
	if (o->token) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", o->token);
		headers = curl_slist_append(headers, auth);
	}
	headers = curl_slist_append(headers, "Accept: text/event-stream");
	char errbuf[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	if (timeout_s > 0)
		curl_easy_setopt(curl, CURLOPT_TIMEOUT, timeout_s);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_bytes);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &f);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	if (o->cacert)
		curl_easy_setopt(curl, CURLOPT_CAINFO, o->cacert);
	CURLcode rc = curl_easy_perform(curl);
	long status = 0;
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	free(f.line);
	free(f.data);
	int done = count > 0 && f.seen >= count;
	if (rc != CURLE_OK && !done && !(rc == CURLE_OPERATION_TIMEDOUT && timeout_s > 0)) {
		fprintf(o->err, "error: event stream from %s: %s\n", url,
		        errbuf[0] ? errbuf : curl_easy_strerror(rc));
		return WCTL_FAILED;
	}
	if (status && status != 200) {
		json_t *e = json_loads(f.head, 0, NULL);
		const char *msg = json_string_value(json_object_get(e, "error"));
		fprintf(o->err, "error: %s answered HTTP %ld%s%s\n", url, status, msg ? ": " : "",
		        msg ? msg : "");
		json_decref(e);
		return WCTL_FAILED;
	}
	return WCTL_OK;
}
