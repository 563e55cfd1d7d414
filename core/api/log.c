/* Structured logger (see log.h): builds one line in memory, then writes it
 * with one locked fwrite so that lines from API worker threads, the watch
 * and the main loop never interleave. */
#include "log.h"

#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct weft_log {
	FILE *out;
	weft_log_format format;
	weft_log_level min;
	pthread_mutex_t lock;
};

static const char *const level_names[] = {"debug", "info", "warn", "error"};

weft_log *weft_log_new(FILE *out, weft_log_format format, weft_log_level min)
{
	weft_log *log = calloc(1, sizeof(*log));
	if (!log)
		return NULL;
	log->out = out;
	log->format = format;
	log->min = min;
	pthread_mutex_init(&log->lock, NULL);
	return log;
}

void weft_log_free(weft_log *log)
{
	if (!log)
		return;
	pthread_mutex_destroy(&log->lock);
	free(log);
}

int weft_log_format_parse(const char *s, weft_log_format *out)
{
	if (!s)
		return -1;
	if (!strcmp(s, "text"))
		*out = WEFT_LOG_TEXT;
	else if (!strcmp(s, "json"))
		*out = WEFT_LOG_JSON;
	else
		return -1;
	return 0;
}

int weft_log_level_parse(const char *s, weft_log_level *out)
{
	for (int i = 0; s && i < 4; i++) {
		if (!strcmp(s, level_names[i])) {
			*out = (weft_log_level)i;
			return 0;
		}
	}
	if (s && !strcmp(s, "warning")) {
		*out = WEFT_LOG_WARN;
		return 0;
	}
	return -1;
}

int weft_log_enabled(const weft_log *log, weft_log_level level)
{
	return log && level >= log->min;
}

/* RFC 3339 UTC with milliseconds. */
static void format_time(char *buf, size_t size)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, size - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0 when the byte at p
 * does not start one (stray continuation, overlong form, surrogate, beyond
 * U+10FFFF, truncated). */
static size_t utf8_seq_len(const unsigned char *p)
{
	unsigned c = p[0];
	size_t n = c < 0x80                 ? 1
	           : c >= 0xc2 && c <= 0xdf ? 2
	           : c >= 0xe0 && c <= 0xef ? 3
	           : c >= 0xf0 && c <= 0xf4 ? 4
	                                    : 0;
	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f) ||
	    (c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] > 0x8f))
		return 0;
	return n;
}

/* s with every byte that is not part of valid UTF-8 written as the text
 * \xHH (malloc'd), so that what a client sent (a path, a name) is logged
 * visibly instead of raw; *changed says whether any byte was. */
static char *utf8_clean(const char *s, int *changed)
{
	size_t len = strlen(s);
	char *out = malloc(len * 4 + 1);
	if (!out)
		return NULL;
	size_t o = 0;
	*changed = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		size_t n = utf8_seq_len(p);
		if (n == 0) {
			o += (size_t)sprintf(out + o, "\\x%02x", *p++);
			*changed = 1;
			continue;
		}
		memcpy(out + o, p, n);
		o += n;
		p += n;
	}
	out[o] = '\0';
	return out;
}

/* s as a JSON string literal, quotes included, escaped by jansson (also
 * used for quoted text values). Invalid UTF-8 is shown as \xHH first: the
 * line stays valid JSON whatever a client sent. */
static void put_json_string(FILE *f, const char *s)
{
	int changed;
	char *clean = utf8_clean(s, &changed);
	json_t *j = clean ? json_string(clean) : NULL;
	char *text = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
	fputs(text ? text : "\"?\"", f);
	free(text);
	json_decref(j);
	free(clean);
}

/* Text values are bare unless they hold spaces, quotes, '=', backslashes,
 * control characters or bytes that are not UTF-8 (or are empty): then
 * they are written as a JSON string. */
static void put_text_value(FILE *f, const char *v)
{
	int quote = !*v;
	for (const unsigned char *p = (const unsigned char *)v; *p && !quote;) {
		size_t n = utf8_seq_len(p);
		quote = n == 0 || *p <= ' ' || *p == '"' || *p == '=' || *p == '\\' || *p == 0x7f;
		p += n;
	}
	if (quote)
		put_json_string(f, v);
	else
		fputs(v, f);
}

/* Whether key names a count, a duration or an id (docs/weftd.md, "Logs"):
 * its value is then written as a JSON number when it is an integer. The
 * key decides, not the look of the value, so that a name made of digits
 * stays a string. */
static int numeric_key(const char *key)
{
	static const char *const names[] = {"revision",
	                                    "status",
	                                    "count",
	                                    "port",
	                                    "ops",
	                                    "id",
	                                    "devices",
	                                    "failed",
	                                    "created",
	                                    "updated",
	                                    "deleted",
	                                    "unchanged",
	                                    "resources",
	                                    "differences",
	                                    "previous_revision",
	                                    "held_revision",
	                                    "target_revision",
	                                    "events",
	                                    "bytes"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(key, names[i]))
			return 1;
	size_t n = strlen(key);
	return (n > 3 && !strcmp(key + n - 3, "_ms")) || (n > 6 && !strcmp(key + n - 6, "_bytes"));
}

/* A decimal integer as JSON writes it: optional '-', no leading zero, at
 * most 18 digits (always fits an int64). */
static int json_integer_text(const char *v)
{
	const char *p = v + (*v == '-');
	size_t n = strspn(p, "0123456789");
	return n > 0 && n <= 18 && !p[n] && (n == 1 || *p != '0');
}

static void put_fields(FILE *f, weft_log_format format, va_list ap)
{
	const char *key;
	while ((key = va_arg(ap, const char *))) {
		const char *value = va_arg(ap, const char *);
		if (!value)
			value = "";
		if (format == WEFT_LOG_JSON) {
			fputc(',', f);
			put_json_string(f, key);
			fputc(':', f);
			if (numeric_key(key) && json_integer_text(value))
				fputs(value, f);
			else
				put_json_string(f, value);
		} else {
			fprintf(f, " %s=", key);
			put_text_value(f, value);
		}
	}
}

void weft_log_event(weft_log *log, weft_log_level level, const char *msg, ...)
{
	if (!weft_log_enabled(log, level))
		return;
	char *line = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&line, &len);
	if (!f)
		return;
	char when[40];
	format_time(when, sizeof(when));
	if (log->format == WEFT_LOG_JSON) {
		fprintf(f, "{\"time\":\"%s\",\"level\":\"%s\",\"msg\":", when, level_names[level]);
		put_json_string(f, msg);
	} else {
		fprintf(f, "%s %s %s", when, level_names[level], msg);
	}
	va_list ap;
	va_start(ap, msg);
	put_fields(f, log->format, ap);
	va_end(ap);
	fputs(log->format == WEFT_LOG_JSON ? "}\n" : "\n", f);
	fclose(f);
	pthread_mutex_lock(&log->lock);
	fwrite(line, 1, len, log->out);
	fflush(log->out);
	pthread_mutex_unlock(&log->lock);
	free(line);
}
