/* libssh2 transport of the haproxy adapter (see hap_ssh.h). Blocking mode
 * with the session timeout: every call is bounded by connection.timeout
 * (default 10 s). A session is used by one device worker at a time. */
#include <arpa/inet.h>
#include <libssh2.h>
#include <libssh2_sftp.h>
#include <netdb.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hap_ssh.h"

struct hap_ssh {
	int fd;
	LIBSSH2_SESSION *ssh;
	LIBSSH2_SFTP *sftp;
	char device[256];
};

static int dial(const char *addr, int port, weft_err *err, const char *dev)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
	char ps[16];
	snprintf(ps, sizeof(ps), "%d", port);
	if (getaddrinfo(addr, ps, &hints, &res) || !res) {
		weft_err_set(err, "device %s: cannot resolve %s", dev, addr);
		return -1;
	}
	int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen)) {
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		weft_err_set(err, "device %s: cannot connect to %s:%d", dev, addr, port);
	return fd;
}

/* "SHA256:" + unpadded base64, as ssh-keygen -lf prints it. */
static void fingerprint(LIBSSH2_SESSION *ssh, char *out, size_t cap)
{
	const unsigned char *h =
	        (const unsigned char *)libssh2_hostkey_hash(ssh, LIBSSH2_HOSTKEY_HASH_SHA256);
	unsigned char b64[64] = {0};
	if (!h) {
		snprintf(out, cap, "(none)");
		return;
	}
	EVP_EncodeBlock(b64, h, 32);
	char *eq = strchr((char *)b64, '=');
	if (eq)
		*eq = 0;
	snprintf(out, cap, "SHA256:%s", b64);
}

static int auth(struct hap_ssh *s, const struct hap_ssh_opts *o, weft_err *err)
{
	int rc;
	const char *user = o->username ? o->username : "root";
	if (!strncmp(o->secret, "-----BEGIN", 10))
		rc = libssh2_userauth_publickey_frommemory(s->ssh, user, strlen(user), NULL, 0,
		                                           o->secret, strlen(o->secret), NULL);
	else
		rc = libssh2_userauth_password(s->ssh, user, o->secret);
	if (rc) {
		char *m = NULL;
		libssh2_session_last_error(s->ssh, &m, NULL, 0);
		return weft_err_set(err, "device %s: SSH authentication of %s failed: %s",
		                    s->device, user, m ? m : "?");
	}
	return 0;
}

struct hap_ssh *hap_ssh_open(const struct hap_ssh_opts *o, weft_err *err)
{
	struct hap_ssh *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	snprintf(s->device, sizeof(s->device), "%s", o->device);
	s->fd = dial(o->address, o->port, err, o->device);
	if (s->fd < 0) {
		free(s);
		return NULL;
	}
	s->ssh = libssh2_session_init();
	libssh2_session_set_blocking(s->ssh, 1);
	libssh2_session_set_timeout(s->ssh, o->timeout_ms > 0 ? o->timeout_ms : 10000);
	char fp[128];
	if (libssh2_session_handshake(s->ssh, s->fd)) {
		weft_err_set(err, "device %s: SSH handshake with %s:%d failed", s->device,
		             o->address, o->port);
		goto fail;
	}
	fingerprint(s->ssh, fp, sizeof(fp));
	if (!o->host_key || strcmp(fp, o->host_key)) {
		weft_err_set(err,
		             "device %s: host key mismatch: the box presents %s, the policy "
		             "pins %s",
		             s->device, fp, o->host_key ? o->host_key : "(none)");
		goto fail;
	}
	if (auth(s, o, err))
		goto fail;
	s->sftp = libssh2_sftp_init(s->ssh);
	if (!s->sftp) {
		weft_err_set(err, "device %s: SFTP subsystem refused", s->device);
		goto fail;
	}
	return s;
fail:
	hap_ssh_close(s);
	return NULL;
}

void hap_ssh_close(struct hap_ssh *s)
{
	if (!s)
		return;
	if (s->sftp)
		libssh2_sftp_shutdown(s->sftp);
	if (s->ssh) {
		libssh2_session_disconnect(s->ssh, "bye");
		libssh2_session_free(s->ssh);
	}
	if (s->fd >= 0)
		close(s->fd);
	free(s);
}

static int ssh_fail(struct hap_ssh *s, weft_err *err, const char *what, const char *path)
{
	char *m = NULL;
	libssh2_session_last_error(s->ssh, &m, NULL, 0);
	unsigned long fx = s->sftp ? libssh2_sftp_last_error(s->sftp) : 0;
	return weft_err_set(err, "device %s: %s %s: %s (sftp status %lu)", s->device, what, path,
	                    m ? m : "?", fx);
}

/* Reads a channel or SFTP handle to the end into a growing buffer. */
struct buf {
	char *p;
	size_t len, cap;
};

static int buf_add(struct buf *b, const char *d, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p)
			return -1;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
	b->p[b->len] = 0;
	return 0;
}

int hap_ssh_read(struct hap_ssh *s, const char *path, char **data, size_t *len, weft_err *err)
{
	*data = NULL;
	*len = 0;
	LIBSSH2_SFTP_HANDLE *h = libssh2_sftp_open(s->sftp, path, LIBSSH2_FXF_READ, 0);
	if (!h) {
		if (libssh2_sftp_last_error(s->sftp) == LIBSSH2_FX_NO_SUCH_FILE)
			return 0;
		return ssh_fail(s, err, "cannot open", path);
	}
	struct buf b = {0};
	char chunk[16384];
	ssize_t n;
	buf_add(&b, "", 0);
	while ((n = libssh2_sftp_read(h, chunk, sizeof(chunk))) > 0)
		if (buf_add(&b, chunk, (size_t)n))
			n = -1;
	libssh2_sftp_close(h);
	if (n < 0 || !b.p) {
		free(b.p);
		return ssh_fail(s, err, "cannot read", path);
	}
	*data = b.p;
	*len = b.len;
	return 0;
}

int hap_ssh_write(struct hap_ssh *s, const char *path, const char *data, size_t len, weft_err *err)
{
	LIBSSH2_SFTP_HANDLE *h = libssh2_sftp_open(
	        s->sftp, path, LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC, 0644);
	if (!h)
		return ssh_fail(s, err, "cannot create", path);
	size_t off = 0;
	while (off < len) {
		ssize_t n = libssh2_sftp_write(h, data + off, len - off);
		if (n <= 0) {
			libssh2_sftp_close(h);
			return ssh_fail(s, err, "cannot write", path);
		}
		off += (size_t)n;
	}
	if (libssh2_sftp_close(h))
		return ssh_fail(s, err, "cannot close", path);
	return 0;
}

static int drain(LIBSSH2_CHANNEL *ch, int stream, struct buf *b)
{
	char chunk[8192];
	ssize_t n;
	while ((n = libssh2_channel_read_ex(ch, stream, chunk, sizeof(chunk))) > 0)
		if (buf_add(b, chunk, (size_t)n))
			return -1;
	/* A peer that closes its TCP side makes sshd close the channel,
	 * sometimes before an EOF: that is the end of the answer too. */
	if (n < 0 && (libssh2_channel_eof(ch) || n == LIBSSH2_ERROR_CHANNEL_CLOSED))
		return 0;
	return n < 0 ? -1 : 0;
}

int hap_ssh_exec(struct hap_ssh *s, const char *cmd, char **out, int *status, weft_err *err)
{
	*out = NULL;
	LIBSSH2_CHANNEL *ch = libssh2_channel_open_session(s->ssh);
	if (!ch)
		return ssh_fail(s, err, "cannot open an exec channel for", cmd);
	struct buf b = {0};
	buf_add(&b, "", 0);
	int rc = libssh2_channel_exec(ch, cmd);
	if (!rc)
		rc = drain(ch, 0, &b);
	if (!rc)
		rc = drain(ch, SSH_EXTENDED_DATA_STDERR, &b);
	libssh2_channel_send_eof(ch);
	libssh2_channel_wait_eof(ch);
	libssh2_channel_close(ch);
	libssh2_channel_wait_closed(ch);
	*status = libssh2_channel_get_exit_status(ch);
	libssh2_channel_free(ch);
	if (rc) {
		free(b.p);
		return ssh_fail(s, err, "exec failed:", cmd);
	}
	*out = b.p;
	return 0;
}

int hap_ssh_cli(struct hap_ssh *s, int port, const char *cmd, char **out, weft_err *err)
{
	*out = NULL;
	LIBSSH2_CHANNEL *ch = libssh2_channel_direct_tcpip(s->ssh, "127.0.0.1", port);
	if (!ch) {
		char *m = NULL;
		libssh2_session_last_error(s->ssh, &m, NULL, 0);
		return weft_err_set(err,
		                    "device %s: cannot reach the master CLI on the box's "
		                    "127.0.0.1:%d: %s",
		                    s->device, port, m ? m : "?");
	}
	struct buf b = {0};
	buf_add(&b, "", 0);
	size_t len = strlen(cmd);
	ssize_t w1 = libssh2_channel_write(ch, cmd, len), w2 = libssh2_channel_write(ch, "\n", 1);
	int rc = w1 == (ssize_t)len && w2 == 1 ? 0 : -1;
	/* EOF after the command: the CLI answers and closes its side. */
	if (!rc)
		libssh2_channel_send_eof(ch);
	if (!rc)
		rc = drain(ch, 0, &b);

	libssh2_channel_close(ch);
	libssh2_channel_free(ch);
	if (rc) {
		char *m = NULL;
		libssh2_session_last_error(s->ssh, &m, NULL, 0);
		free(b.p);
		return weft_err_set(err, "device %s: master CLI command '%s' failed: %s", s->device,
		                    cmd, m ? m : "?");
	}
	*out = b.p;
	return 0;
}
