/* Structured logger (see log.h): builds one line in memory, then writes it
 * with one locked fwrite so that lines from API worker threads, the watch
 * and the main loop never interleave. */
#include "log.h"

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

/* JSON string body escaping (also used for quoted text values). */
static void put_escaped(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p == '\t')
			fputs("\\t", f);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
}

/* Text values are bare unless they hold spaces, quotes, '=' or control
 * characters (or are empty): then they are quoted and escaped. */
static void put_text_value(FILE *f, const char *v)
{
	int quote = !*v;
	for (const unsigned char *p = (const unsigned char *)v; *p && !quote; p++)
		quote = *p <= ' ' || *p == '"' || *p == '=' || *p == '\\' || *p == 0x7f;
	if (!quote) {
		fputs(v, f);
		return;
	}
	fputc('"', f);
	put_escaped(f, v);
	fputc('"', f);
}

static void put_fields(FILE *f, weft_log_format format, va_list ap)
{
	const char *key;
	while ((key = va_arg(ap, const char *))) {
		const char *value = va_arg(ap, const char *);
		if (!value)
			value = "";
		if (format == WEFT_LOG_JSON) {
			fputs(",\"", f);
			put_escaped(f, key);
			fputs("\":\"", f);
			put_escaped(f, value);
			fputc('"', f);
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
		fprintf(f, "{\"time\":\"%s\",\"level\":\"%s\",\"msg\":\"", when,
		        level_names[level]);
		put_escaped(f, msg);
		fputc('"', f);
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
