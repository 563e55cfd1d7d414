/* f5sim: authentication as iControl REST does it.
 *
 * POST /mgmt/shared/authn/login {username, password, loginProviderName}
 * answers {username, loginProviderName, token:{token, timeout:1200,
 * expirationMicros, ...}}; requests then carry X-F5-Auth-Token. A token
 * lives timeout seconds from its start time; PATCH
 * /mgmt/shared/authz/tokens/TOKEN {"timeout":N} changes that (N at most
 * 36000, above which the answer is 406); DELETE logs out. Missing or unknown
 * tokens answer 401 "X-F5-Auth-Token does not exist.", expired ones 401
 * "X-F5-Auth-Token has expired." HTTP basic auth for the configured user is
 * accepted on every endpoint, as on BIG-IP. */
#include "f5sim.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define TOKEN_MAX_TIMEOUT 36000

static void new_token(char *buf, size_t len)
{
	static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	unsigned char r[26];
	size_t i;

	if (RAND_bytes(r, sizeof(r)) != 1)
		for (i = 0; i < sizeof(r); i++)
			r[i] = (unsigned char)(sim_wall_us() >> (i % 8));
	for (i = 0; i < sizeof(r) && i + 1 < len; i++)
		buf[i] = al[r[i] % 32];
	buf[i] = '\0';
}

static json_t *token_json(const char *tok, const char *user, const char *peer, int timeout,
                          long long start_us)
{
	char link[256], when[64];
	time_t secs = (time_t)(start_us / 1000000);
	struct tm tm;

	gmtime_r(&secs, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(when + strlen(when), sizeof(when) - strlen(when), ".%03dZ",
	         (int)(start_us / 1000 % 1000));
	snprintf(link, sizeof(link), "https://localhost/mgmt/shared/authz/tokens/%s", tok);
	return json_pack("{s:s, s:s, s:s, s:s, s:{s:s}, s:[], s:i, s:s, s:s, s:s, s:i, s:I, "
	                 "s:I, s:s, s:s}",
	                 "token", tok, "name", tok, "userName", user, "authProviderName", "tmos",
	                 "user", "link", "https://localhost/mgmt/shared/authz/users/admin",
	                 "groupReferences", "timeout", timeout, "startTime", when, "address",
	                 peer ? peer : "127.0.0.1", "partition", "[All]", "generation", 1,
	                 "lastUpdateMicros", (json_int_t)start_us, "expirationMicros",
	                 (json_int_t)(start_us + (long long)timeout * 1000000), "kind",
	                 "shared:authz:tokens:authtokenitemstate", "selfLink", link);
}

int auth_login(struct sim *s, json_t *body, const char *peer, json_t **out)
{
	const char *u = json_string_value(json_object_get(body, "username"));
	const char *p = json_string_value(json_object_get(body, "password"));
	const char *prov = json_string_value(json_object_get(body, "loginProviderName"));
	long long now = sim_wall_us();
	char tok[32];
	struct tentry *e;
	json_t *t;

	if (!u || !p || strcmp(u, s->user) || strcmp(p, s->password)) {
		*out = f5_rest_error(s, 401, "Authentication failed.");
		return 401;
	}
	new_token(tok, sizeof(tok));
	t = token_json(tok, u, peer, 1200, now);
	e = table_put(&s->tokens, tok);
	if (!e) {
		json_decref(t);
		*out = f5_error(500, "out of memory");
		return 500;
	}
	e->obj = json_incref(t);
	e->num = now + 1200LL * 1000000;
	*out = json_pack("{s:s, s:{s:s}, s:s, s:o, s:i, s:i}", "username", u, "loginReference",
	                 "link",
	                 "https://localhost/mgmt/cm/system/authn/providers/tmos/"
	                 "1f44a60e-11a7-3c51-a49f-82983026b41b/login",
	                 "loginProviderName", prov ? prov : "tmos", "token", t, "generation", 0,
	                 "lastUpdateMicros", 0);
	return 200;
}

static int basic_ok(struct sim *s, const char *authz)
{
	unsigned char dec[512];
	char want[300];
	const char *b64 = authz + 6;
	size_t n = strlen(b64);
	int len;

	if (n == 0 || n > 600)
		return 0;
	len = EVP_DecodeBlock(dec, (const unsigned char *)b64, (int)n);
	if (len < 0)
		return 0;
	while (n > 0 && b64[n - 1] == '=') { /* EVP_DecodeBlock keeps padding bytes */
		len--;
		n--;
	}
	dec[len < 0 ? 0 : len] = '\0';
	snprintf(want, sizeof(want), "%s:%s", s->user, s->password);
	return !strcmp((char *)dec, want);
}

int auth_check(struct sim *s, const char *token, const char *authz, const char *url, json_t **out)
{
	struct tentry *e;

	if (token) {
		e = table_get(&s->tokens, token);
		if (!e) {
			*out = f5_rest_error(s, 401, "X-F5-Auth-Token does not exist.");
			return 401;
		}
		if (sim_wall_us() >= e->num) {
			*out = f5_rest_error(s, 401, "X-F5-Auth-Token has expired.");
			return 401;
		}
		return 0;
	}
	if (authz && !strncasecmp(authz, "Basic ", 6)) {
		if (basic_ok(s, authz))
			return 0;
		*out = f5_rest_error(s, 401, "Authentication failed.");
		return 401;
	}
	*out = f5_rest_error(s, 401,
	                     "Authorization failed: no user authentication header or "
	                     "token detected. Uri:http://localhost:8100%s Referrer:127.0.0.1 "
	                     "Sender:127.0.0.1",
	                     url);
	return 401;
}

static int token_patch(struct sim *s, struct tentry *e, json_t *body, json_t **out)
{
	json_t *to = json_object_get(body, "timeout"), *t;
	long long start, timeout;

	if (!json_is_integer(to) || json_integer_value(to) <= 0) {
		*out = f5_error(400, "Invalid timeout value; an integer number of seconds is "
		                     "required.");
		return 400;
	}
	timeout = json_integer_value(to);
	if (timeout > TOKEN_MAX_TIMEOUT) {
		*out = f5_error(406,
		                "Invalid timeout value %lld: the maximum token timeout is %d "
		                "seconds.",
		                timeout, TOKEN_MAX_TIMEOUT);
		return 406;
	}
	start = json_integer_value(json_object_get(e->obj, "expirationMicros")) -
	        json_integer_value(json_object_get(e->obj, "timeout")) * 1000000LL;
	t = json_copy(e->obj);
	json_object_set_new(t, "timeout", json_integer(timeout));
	json_object_set_new(t, "expirationMicros", json_integer(start + timeout * 1000000));
	json_object_set_new(t, "lastUpdateMicros", json_integer(sim_wall_us()));
	json_object_set_new(
	        t, "generation",
	        json_integer(json_integer_value(json_object_get(e->obj, "generation")) + 1));
	json_decref(e->obj);
	e->obj = t;
	if (e->num) /* not force-expired by /sim/expire-tokens */
		e->num = start + timeout * 1000000;
	*out = json_incref(t);
	return 200;
}

int auth_tokens(struct sim *s, const char *method, const char *rest, json_t *body, json_t **out)
{
	struct tentry *e;

	*out = NULL;
	if (!*rest || !strcmp(rest, "/")) {
		json_t *items = json_array();

		for (e = s->tokens.head; e; e = e->next)
			json_array_append(items, e->obj);
		*out = json_pack("{s:o, s:s, s:s}", "items", items, "kind",
		                 "shared:authz:tokens:authtokencollectionstate", "selfLink",
		                 "https://localhost/mgmt/shared/authz/tokens");
		return 200;
	}
	e = table_get(&s->tokens, rest + 1);
	if (!e) {
		*out = f5_rest_error(s, 404, "Token %s does not exist.", rest + 1);
		return 404;
	}
	if (!strcmp(method, "GET")) {
		*out = json_incref(e->obj);
		return 200;
	}
	if (!strcmp(method, "PATCH"))
		return token_patch(s, e, body, out);
	if (!strcmp(method, "DELETE")) {
		*out = json_incref(e->obj);
		table_del(&s->tokens, e, NULL);
		return 200;
	}
	*out = f5_error(405, "Method %s is not allowed on a token", method);
	return 405;
}

void auth_expire_all(struct sim *s)
{
	struct tentry *e;

	for (e = s->tokens.head; e; e = e->next)
		e->num = 0;
}
