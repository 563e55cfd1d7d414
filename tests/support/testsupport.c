/* Test support implementation: process control, ports, temp dirs. See
 * testsupport.h. Plain POSIX; used by tests only. */
#include "testsupport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

long long ts_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

int ts_free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof(sa);
	int port = -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

pid_t ts_spawn(const char *const argv[], const char *log_path)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	if (log_path) {
		int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
	}
	int devnull = open("/dev/null", O_RDONLY);
	if (devnull >= 0) {
		dup2(devnull, 0);
		close(devnull);
	}
	execv(argv[0], (char *const *)argv);
	fprintf(stderr, "ts_spawn: exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static int child_gone(pid_t pid)
{
	if (pid <= 0)
		return 0;
	int status;
	return waitpid(pid, &status, WNOHANG) == pid;
}

int ts_wait_port(int port, pid_t pid, int timeout_ms)
{
	long long end = ts_now_ms() + timeout_ms;
	while (ts_now_ms() < end) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		int ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
		close(fd);
		if (ok)
			return 0;
		if (child_gone(pid))
			return -1;
		sleep_ms(20);
	}
	return -1;
}

int ts_wait_path(const char *path, pid_t pid, int timeout_ms)
{
	long long end = ts_now_ms() + timeout_ms;
	struct stat st;
	while (ts_now_ms() < end) {
		if (stat(path, &st) == 0)
			return 0;
		if (child_gone(pid))
			return -1;
		sleep_ms(20);
	}
	return -1;
}

int ts_stop(pid_t pid, int timeout_ms)
{
	if (pid <= 0)
		return -1;
	int status = 0;
	if (waitpid(pid, &status, WNOHANG) == pid)
		return status;
	kill(pid, SIGTERM);
	long long end = ts_now_ms() + timeout_ms;
	while (ts_now_ms() < end) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return status;
		if (r < 0)
			return -1;
		sleep_ms(10);
	}
	kill(pid, SIGKILL);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

void ts_kill9(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	int status;
	waitpid(pid, &status, 0);
}

char *ts_mkdtemp(const char *prefix)
{
	const char *tmp = getenv("TMPDIR");
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s/%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", prefix);
	if (!mkdtemp(buf))
		return NULL;
	return strdup(buf);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void ts_rmtree(const char *dir)
{
	if (dir && *dir && strcmp(dir, "/") != 0)
		nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *ts_bin_dir(void)
{
	const char *env = getenv("WEFT_BIN_DIR");
	return env && *env ? env : WEFT_BIN_DIR;
}

const char *ts_source_dir(void)
{
	const char *env = getenv("WEFT_SOURCE_DIR");
	return env && *env ? env : WEFT_SOURCE_DIR;
}

char *ts_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	size_t r;
	while (buf && (r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += r;
		if (cap - n - 1 == 0) {
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	fclose(f);
	if (!buf)
		return NULL;
	buf[n] = 0;
	if (len)
		*len = n;
	return buf;
}

int ts_write_file(const char *path, const char *data)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	size_t n = strlen(data);
	int ok = fwrite(data, 1, n, f) == n;
	return (fclose(f) == 0 && ok) ? 0 : -1;
}

int ts_run(const char *const argv[], char **out, int timeout_ms)
{
	int fds[2];
	if (pipe(fds) != 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		close(fds[0]);
		close(fds[1]);
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull >= 0)
			dup2(devnull, 0);
		execv(argv[0], (char *const *)argv);
		fprintf(stderr, "ts_run: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	long long end = ts_now_ms() + timeout_ms;
	int status = 0, done = 0;
	while (!done) {
		ssize_t r = read(fds[0], buf + n, cap - n - 1);
		if (r > 0) {
			n += (size_t)r;
			if (cap - n - 1 == 0) {
				cap *= 2;
				buf = realloc(buf, cap);
			}
			continue;
		}
		if (r == 0) {
			waitpid(pid, &status, 0);
			done = 1;
			break;
		}
		if (ts_now_ms() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			status = -1;
			break;
		}
		sleep_ms(5);
	}
	close(fds[0]);
	buf[n] = 0;
	if (out)
		*out = buf;
	else
		free(buf);
	if (status == -1 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}
