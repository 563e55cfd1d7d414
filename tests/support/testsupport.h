/* Test support: start and stop real processes on loopback for integration
 * and conformance tests. Every process a test starts is stopped by its pid
 * (ts_stop), ports are picked at run time (ts_free_port), and every wait is
 * bounded. Shared by all test suites; depends on nothing of weft. */
#ifndef WEFT_TESTSUPPORT_H
#define WEFT_TESTSUPPORT_H

#include <stddef.h>
#include <sys/types.h>

/* A TCP port on 127.0.0.1 that was free a moment ago (bind to :0, close). */
int ts_free_port(void);

/* fork+exec argv (argv[0] is a path). stdout and stderr go to log_path when
 * it is not NULL (appended), else they are inherited. Returns the pid, or -1. */
pid_t ts_spawn(const char *const argv[], const char *log_path);

/* Waits until a TCP connect to 127.0.0.1:port succeeds. 0 on success, -1 on
 * timeout or when pid (if > 0) exits first. */
int ts_wait_port(int port, pid_t pid, int timeout_ms);

/* Waits until path exists (a UNIX socket, a ready file). 0 or -1 on timeout. */
int ts_wait_path(const char *path, pid_t pid, int timeout_ms);

/* SIGTERM, wait up to timeout_ms, then SIGKILL. Returns the exit status as
 * from waitpid (WIFEXITED...), or -1 when pid was not a child. */
int ts_stop(pid_t pid, int timeout_ms);

/* SIGKILL and reap (a crash, for crash-safety tests). */
void ts_kill9(pid_t pid);

/* A fresh directory under $TMPDIR (or /tmp); caller frees the string.
 * ts_rmtree removes it with everything below it. */
char *ts_mkdtemp(const char *prefix);
void ts_rmtree(const char *dir);

/* Directory holding the built programs (build/bin): $WEFT_BIN_DIR, else the
 * directory compiled in by CMake. */
const char *ts_bin_dir(void);
/* Directory of the source tree (for examples/, models/). */
const char *ts_source_dir(void);

/* Reads a whole file; NUL-terminated; caller frees. NULL on error. */
char *ts_read_file(const char *path, size_t *len);
/* Writes a whole file. 0 or -1. */
int ts_write_file(const char *path, const char *data);

/* Runs argv to completion (bounded by timeout_ms, killed after), capturing
 * stdout+stderr into *out (caller frees). Returns the exit code, or -1. */
int ts_run(const char *const argv[], char **out, int timeout_ms);

/* Milliseconds from a monotonic clock. */
long long ts_now_ms(void);

#endif
