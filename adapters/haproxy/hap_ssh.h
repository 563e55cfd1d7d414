/* The haproxy adapter's SSH transport (libssh2): one session to the box
 * with its host key pinned by SHA256 fingerprint, key or password
 * authentication, SFTP reads and writes, exec channels and direct-tcpip
 * channels to the master CLI on the box's loopback (libssh2 1.10 has no
 * UNIX-socket forwarding, so the master CLI listens on 127.0.0.1:PORT).
 * See docs/adapter-haproxy.md. */
#ifndef HAP_SSH_H
#define HAP_SSH_H

#include <stddef.h>

#include "diag.h"

struct hap_ssh;

struct hap_ssh_opts {
	const char *device; /* "ns/name", for messages */
	const char *address;
	int port;
	const char *username;
	const char *host_key; /* "SHA256:<base64>" */
	const char *secret;   /* private key text (-----BEGIN...) or a password */
	long long timeout_ms;
};

struct hap_ssh *hap_ssh_open(const struct hap_ssh_opts *o, weft_err *err);
void hap_ssh_close(struct hap_ssh *s);
/* Reads a remote file; *data NULL (return 0) when it does not exist. */
int hap_ssh_read(struct hap_ssh *s, const char *path, char **data, size_t *len, weft_err *err);
int hap_ssh_write(struct hap_ssh *s, const char *path, const char *data, size_t len, weft_err *err);
/* Runs cmd; *out gets stdout then stderr (malloc'd), *status the exit code. */
int hap_ssh_exec(struct hap_ssh *s, const char *cmd, char **out, int *status, weft_err *err);
/* One master CLI command over a direct-tcpip channel to 127.0.0.1:port; the
 * master answers and closes. *out is malloc'd. */
int hap_ssh_cli(struct hap_ssh *s, int port, const char *cmd, char **out, weft_err *err);

#endif
