/* consulsim: ?filter= expressions, a subset of go-bexpr (the library Consul
 * uses), evaluated on the rendered answer entries.
 *
 *   expr   := and ("or" and)*         and := unary ("and" unary)*
 *   unary  := "not" unary | "(" expr ")" | match
 *   match  := SEL ("==" | "!=") VAL | SEL ["not"] "contains" VAL
 *           | VAL ["not"] "in" SEL   | SEL "is" ["not"] "empty"
 *           | SEL ["not"] "matches" VAL
 *   SEL    := name ("." name)*       VAL := "str" | `str` | word | number
 *
 * A selector that passes through a list (Checks.Status) matches when any
 * element matches; the negated forms are the negation of that. The first
 * selector name must be a field of the entry, else the filter is refused
 * (400), as Consul refuses selectors its types do not have. */
#include "consulsim.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum fop { F_AND, F_OR, F_NOT, F_EQ, F_CONTAINS, F_EMPTY, F_MATCHES };

struct filter {
	enum fop op;
	int negate;
	struct filter *a, *b;
	char **sel; /* NULL-terminated path */
	char *val;
	regex_t re;
	int has_re;
};

struct parser {
	const char *s, *p;
	const char *const *roots;
	char *err;
	size_t n;
	int failed, depth;
};

/* Nesting bound: parentheses and "not" recurse, and a URL can hold
 * thousands of them. */
#define FILTER_MAX_DEPTH 64

static void fail(struct parser *ps, const char *what)
{
	if (!ps->failed)
		snprintf(ps->err, ps->n,
		         "Failed to create boolean expression evaluator: %s at offset %d", what,
		         (int)(ps->p - ps->s));
	ps->failed = 1;
}

static void skip_ws(struct parser *ps)
{
	while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n')
		ps->p++;
}

static int is_word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.' || c == '/' || c == ':';
}

/* Reads a keyword if it is next (whole word); returns 1 when consumed. */
static int keyword(struct parser *ps, const char *kw)
{
	size_t len = strlen(kw);

	skip_ws(ps);
	if (!strncmp(ps->p, kw, len) && !is_word_char(ps->p[len])) {
		ps->p += len;
		return 1;
	}
	return 0;
}

/* A value or selector token: quoted string, raw string or bare word. */
static char *token(struct parser *ps, int *quoted)
{
	const char *start;
	char *out;
	size_t k = 0;

	skip_ws(ps);
	*quoted = 0;
	if (*ps->p == '"' || *ps->p == '`') {
		char q = *ps->p++;

		out = malloc(strlen(ps->p) + 1);
		while (out && *ps->p && *ps->p != q) {
			if (q == '"' && *ps->p == '\\' && ps->p[1])
				ps->p++;
			out[k++] = *ps->p++;
		}
		if (!out || *ps->p != q) {
			free(out);
			fail(ps, "unterminated string");
			return NULL;
		}
		ps->p++;
		out[k] = '\0';
		*quoted = 1;
		return out;
	}
	start = ps->p;
	while (is_word_char(*ps->p))
		ps->p++;
	if (ps->p == start) {
		fail(ps, "expected a selector or a value");
		return NULL;
	}
	return strndup(start, (size_t)(ps->p - start));
}

static char **split_selector(struct parser *ps, const char *word)
{
	size_t n = 1, i = 0;
	const char *p;
	char **sel, *copy = strdup(word), *tok, *save = NULL;

	for (p = word; *p; p++)
		n += *p == '.';
	sel = calloc(n + 1, sizeof(*sel));
	for (tok = strtok_r(copy, ".", &save); sel && tok; tok = strtok_r(NULL, ".", &save))
		sel[i++] = strdup(tok);
	free(copy);
	if (!sel || !i) {
		free(sel);
		fail(ps, "empty selector");
		return NULL;
	}
	for (n = 0; ps->roots && ps->roots[n] && strcmp(ps->roots[n], sel[0]); n++)
		;
	if (ps->roots && !ps->roots[n]) {
		char msg[300];

		snprintf(msg, sizeof(msg), "Selector \"%s\" is not valid", word);
		fail(ps, msg);
	}
	return sel;
}

static struct filter *node_new(enum fop op)
{
	struct filter *f = calloc(1, sizeof(*f));

	if (f)
		f->op = op;
	return f;
}

static struct filter *parse_or(struct parser *ps);

/* "VAL [not] in SEL" is "SEL [not] contains VAL". */
static struct filter *parse_in(struct parser *ps, struct filter *f, char *val)
{
	int quoted;
	char *sel = token(ps, &quoted);

	f->op = F_CONTAINS;
	f->val = val;
	f->sel = split_selector(ps, sel ? sel : "");
	free(sel);
	return f;
}

static struct filter *parse_match(struct parser *ps)
{
	struct filter *f = node_new(F_EQ);
	char *first;
	int quoted;

	if (!f)
		return NULL;
	first = token(ps, &quoted);
	if (!first)
		return f;
	if (keyword(ps, "not")) {
		f->negate = 1;
		if (keyword(ps, "contains")) {
			f->op = F_CONTAINS;
			goto sel_first;
		}
		if (keyword(ps, "matches")) {
			f->op = F_MATCHES;
			goto sel_first;
		}
		if (!keyword(ps, "in")) {
			fail(ps, "expected in, contains or matches after not");
			free(first);
			return f;
		}
		return parse_in(ps, f, first);
	}
	if (keyword(ps, "in"))
		return parse_in(ps, f, first);
	f->op = F_EQ;
	if (keyword(ps, "is")) {
		f->op = F_EMPTY;
		f->negate = keyword(ps, "not");
		if (!keyword(ps, "empty"))
			fail(ps, "expected empty");
	} else if (skip_ws(ps), !strncmp(ps->p, "==", 2) || !strncmp(ps->p, "!=", 2)) {
		f->negate = ps->p[0] == '!';
		ps->p += 2;
	} else if (keyword(ps, "contains")) {
		f->op = F_CONTAINS;
	} else if (keyword(ps, "matches")) {
		f->op = F_MATCHES;
	} else {
		fail(ps, "expected an operator (==, !=, contains, in, matches, is empty)");
	}
sel_first:
	f->sel = split_selector(ps, first);
	free(first);
	if (f->op != F_EMPTY && !ps->failed)
		f->val = token(ps, &quoted);
	if (f->op == F_MATCHES && f->val && !ps->failed) {
		if (regcomp(&f->re, f->val, REG_EXTENDED | REG_NOSUB))
			fail(ps, "invalid regular expression");
		else
			f->has_re = 1;
	}
	return f;
}

static struct filter *parse_unary_inner(struct parser *ps);

static struct filter *parse_unary(struct parser *ps)
{
	struct filter *f;

	if (++ps->depth > FILTER_MAX_DEPTH) {
		fail(ps, "expression nested too deeply");
		return NULL;
	}
	f = parse_unary_inner(ps);
	ps->depth--;
	return f;
}

static struct filter *parse_unary_inner(struct parser *ps)
{
	struct filter *f;

	if (keyword(ps, "not")) {
		f = node_new(F_NOT);
		if (f)
			f->a = parse_unary(ps);
		return f;
	}
	skip_ws(ps);
	if (*ps->p == '(') {
		ps->p++;
		f = parse_or(ps);
		skip_ws(ps);
		if (*ps->p != ')')
			fail(ps, "expected )");
		else
			ps->p++;
		return f;
	}
	return parse_match(ps);
}

static struct filter *parse_chain(struct parser *ps, const char *kw, enum fop op,
                                  struct filter *(*next)(struct parser *))
{
	struct filter *left = next(ps), *n;

	while (!ps->failed && keyword(ps, kw)) {
		n = node_new(op);
		if (!n)
			break;
		n->a = left;
		n->b = next(ps);
		left = n;
	}
	return left;
}

static struct filter *parse_and(struct parser *ps)
{
	return parse_chain(ps, "and", F_AND, parse_unary);
}

static struct filter *parse_or(struct parser *ps)
{
	return parse_chain(ps, "or", F_OR, parse_and);
}

struct filter *filter_compile(const char *expr, const char *const *roots, char *err, size_t n)
{
	struct parser ps = {expr, expr, roots, err, n, 0, 0};
	struct filter *f = parse_or(&ps);

	skip_ws(&ps);
	if (!ps.failed && *ps.p)
		fail(&ps, "unexpected text");
	if (ps.failed || !f) {
		if (!ps.failed)
			fail(&ps, "out of memory");
		filter_free(f);
		return NULL;
	}
	return f;
}

void filter_free(struct filter *f)
{
	size_t i;

	if (!f)
		return;
	filter_free(f->a);
	filter_free(f->b);
	for (i = 0; f->sel && f->sel[i]; i++)
		free(f->sel[i]);
	free(f->sel);
	free(f->val);
	if (f->has_re)
		regfree(&f->re);
	free(f);
}

/* Collects the values at sel below v into out, walking through lists. */
static void resolve(json_t *v, char *const *sel, json_t *out)
{
	size_t i;
	json_t *e;

	if (!v)
		return;
	if (!*sel) {
		json_array_append(out, v);
		return;
	}
	if (json_is_array(v)) {
		json_array_foreach(v, i, e)
		{
			resolve(e, sel, out);
		}
		return;
	}
	resolve(json_object_get(v, *sel), sel + 1, out);
}

static int scalar_equals(json_t *v, const char *want)
{
	char num[64];

	if (json_is_string(v))
		return !strcmp(json_string_value(v), want);
	if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		return !strcmp(num, want);
	}
	if (json_is_boolean(v))
		return !strcmp(json_is_true(v) ? "true" : "false", want);
	return 0;
}

static int value_test(const struct filter *f, json_t *v)
{
	json_t *e;
	size_t i;

	switch (f->op) {
	case F_EQ:
		return scalar_equals(v, f->val);
	case F_CONTAINS:
		if (json_is_string(v))
			return strstr(json_string_value(v), f->val) != NULL;
		if (json_is_object(v))
			return json_object_get(v, f->val) != NULL;
		json_array_foreach(v, i, e)
		{
			if (scalar_equals(e, f->val))
				return 1;
		}
		return 0;
	case F_MATCHES:
		return json_is_string(v) && !regexec(&f->re, json_string_value(v), 0, NULL, 0);
	case F_EMPTY:
		return (json_is_string(v) && !*json_string_value(v)) ||
		       (json_is_array(v) && !json_array_size(v)) ||
		       (json_is_object(v) && !json_object_size(v)) || json_is_null(v);
	default:
		return 0;
	}
}

int filter_match(const struct filter *f, json_t *entry)
{
	json_t *vals, *v;
	size_t i;
	int hit = 0;

	switch (f->op) {
	case F_AND:
		return filter_match(f->a, entry) && filter_match(f->b, entry);
	case F_OR:
		return filter_match(f->a, entry) || filter_match(f->b, entry);
	case F_NOT:
		return !filter_match(f->a, entry);
	default:
		break;
	}
	vals = json_array();
	resolve(entry, f->sel, vals);
	if (f->op == F_EMPTY) {
		hit = 1;
		json_array_foreach(vals, i, v)
		{
			hit &= value_test(f, v);
		}
	} else {
		json_array_foreach(vals, i, v)
		{
			hit |= value_test(f, v);
		}
	}
	json_decref(vals);
	return f->negate ? !hit : hit;
}
