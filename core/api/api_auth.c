/* Bearer tokens for the REST API (see api.h): the tokens file is read once
 * at start; a presented token is compared with EVERY entry in constant time
 * for its length, so neither the position of a match nor the length of a
 * shared prefix shows in the response time. Token text is never logged or
 * echoed in errors (messages name file:line only). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

#define MIN_TOKEN_LEN 16

typedef struct token_entry {
	char *token;
	size_t len;
	weft_api_role role;
	char *name;
} token_entry;

struct weft_api_tokens {
	token_entry *items;
	size_t count;
};

void weft_api_tokens_free(weft_api_tokens *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->count; i++) {
		/* wipe the secret before giving the memory back */
		memset(t->items[i].token, 0, t->items[i].len);
		free(t->items[i].token);
		free(t->items[i].name);
	}
	free(t->items);
	free(t);
}

size_t weft_api_tokens_count(const weft_api_tokens *t)
{
	return t ? t->count : 0;
}

/* Equality of a (attacker-supplied, length alen) and b in time that depends
 * only on alen. */
static int equal_ct(const char *a, size_t alen, const char *b, size_t blen)
{
	unsigned char diff = (unsigned char)(alen != blen);
	for (size_t i = 0; i < alen; i++)
		diff |= (unsigned char)(a[i] ^ b[blen ? i % blen : 0]);
	return diff == 0;
}

weft_api_role weft_api_tokens_check(const weft_api_tokens *t, const char *token, size_t len,
                                    const char **name)
{
	weft_api_role role = WEFT_ROLE_NONE;
	const char *who = NULL;
	for (size_t i = 0; t && token && i < t->count; i++) {
		int eq = equal_ct(token, len, t->items[i].token, t->items[i].len);
		/* no early exit: every entry costs the same */
		if (eq && role == WEFT_ROLE_NONE) {
			role = t->items[i].role;
			who = t->items[i].name;
		}
	}
	if (name)
		*name = who;
	return role;
}

/* Splits line into at most 4 whitespace-separated fields (in place). */
static int split_fields(char *line, char *field[4])
{
	int n = 0;
	char *save = NULL;
	for (char *tok = strtok_r(line, " \t\r\n", &save); tok;
	     tok = strtok_r(NULL, " \t\r\n", &save)) {
		if (n == 4)
			return 5;
		field[n++] = tok;
	}
	return n;
}

static int parse_line(weft_api_tokens *t, const char *path, int lineno, char *line, weft_err *err)
{
	char *f[4];
	int n = split_fields(line, f);
	if (n == 0 || f[0][0] == '#')
		return 0;
	if (n < 2 || n > 3)
		return weft_err_set(err, "%s:%d: expected 'TOKEN ROLE [NAME]'", path, lineno);
	weft_api_role role;
	if (!strcmp(f[1], "admin"))
		role = WEFT_ROLE_ADMIN;
	else if (!strcmp(f[1], "viewer"))
		role = WEFT_ROLE_VIEWER;
	else if (!strcmp(f[0], "admin") || !strcmp(f[0], "viewer"))
		return weft_err_set(
		        err,
		        "%s:%d: the first column is a role; expected 'TOKEN ROLE [NAME]' "
		        "(columns swapped?)",
		        path, lineno);
	else /* the second column is not echoed: with columns mixed up, it may
	        be the token */
		return weft_err_set(err,
		                    "%s:%d: unknown role in the second column (admin or viewer)",
		                    path, lineno);
	size_t len = strlen(f[0]);
	if (len < MIN_TOKEN_LEN)
		return weft_err_set(err, "%s:%d: token too short (at least %d characters)", path,
		                    lineno, MIN_TOKEN_LEN);
	if (weft_api_tokens_check(t, f[0], len, NULL) != WEFT_ROLE_NONE)
		return weft_err_set(err, "%s:%d: duplicate token", path, lineno);
	token_entry *items = realloc(t->items, (t->count + 1) * sizeof(*items));
	if (!items)
		return weft_err_set(err, "%s: out of memory", path);
	t->items = items;
	token_entry *e = &items[t->count];
	e->token = strdup(f[0]);
	e->len = len;
	e->role = role;
	e->name = strdup(n == 3 ? f[2] : f[1]);
	if (!e->token || !e->name) {
		free(e->token);
		free(e->name);
		return weft_err_set(err, "%s: out of memory", path);
	}
	t->count++;
	return 0;
}

weft_api_tokens *weft_api_tokens_load(const char *path, weft_err *err)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		weft_err_set(err, "tokens file %s: %s", path, strerror(errno));
		return NULL;
	}
	weft_api_tokens *t = calloc(1, sizeof(*t));
	char *line = NULL;
	size_t cap = 0;
	int lineno = 0, rc = t ? 0 : weft_err_set(err, "%s: out of memory", path);
	while (rc == 0 && getline(&line, &cap, f) >= 0)
		rc = parse_line(t, path, ++lineno, line, err);
	if (line) {
		memset(line, 0, cap);
		free(line);
	}
	fclose(f);
	if (rc == 0 && t->count == 0)
		rc = weft_err_set(err, "tokens file %s: no tokens", path);
	if (rc != 0) {
		weft_api_tokens_free(t);
		return NULL;
	}
	return t;
}
