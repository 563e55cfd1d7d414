/* Structured logging for the daemon side of the northbound (weftd, the REST
 * API server, the policy directory watch): one line per event on a stream
 * (stderr), either as text
 *
 *     2026-01-02T03:04:05.678Z info api listening addr=127.0.0.1:7070
 *
 * or as JSON lines ({"time":...,"level":"info","msg":"api listening",
 * "addr":"127.0.0.1:7070"}). Fields are key/value string pairs; in JSON
 * a field whose key names a number (revision, status, count, port, ops,
 * id, devices, failed, created, updated, deleted, unchanged, resources,
 * differences, *_ms, *_bytes, ...: numeric_key() in log.c) and whose
 * value is a decimal integer is written as a JSON number. Callers
 * never pass credentials (tokens, keys) as values. A logger is a context
 * passed to whoever logs: there is no global logger. Thread-safe: one line
 * is written with one locked write. */
#ifndef WEFT_LOG_H
#define WEFT_LOG_H

#include <stdio.h>

typedef enum weft_log_level {
	WEFT_LOG_DEBUG,
	WEFT_LOG_INFO,
	WEFT_LOG_WARN,
	WEFT_LOG_ERROR,
} weft_log_level;

typedef enum weft_log_format {
	WEFT_LOG_TEXT,
	WEFT_LOG_JSON,
} weft_log_format;

typedef struct weft_log weft_log;

/* A logger writing to out (not owned) lines of at least level min. NULL
 * when out of memory. */
weft_log *weft_log_new(FILE *out, weft_log_format format, weft_log_level min);
void weft_log_free(weft_log *log);

/* "text"/"json" and "debug"/"info"/"warn"/"error" parsers: 0 or -1. */
int weft_log_format_parse(const char *s, weft_log_format *out);
int weft_log_level_parse(const char *s, weft_log_level *out);

/* Logs msg with fields given as key, value pairs ending with NULL:
 *     weft_log_event(log, WEFT_LOG_INFO, "api listening", "addr", a, NULL);
 * A NULL value is printed as an empty string. log may be NULL (no-op). */
void weft_log_event(weft_log *log, weft_log_level level, const char *msg, ...)
        __attribute__((sentinel));

/* Whether a line of this level would be written (skip building fields). */
int weft_log_enabled(const weft_log *log, weft_log_level level);

#endif
