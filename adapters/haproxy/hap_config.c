/* The parsed form of weft's .cfg (hap.h): backends and their server lines,
 * the rest of the text as a skeleton. Used for both what weft renders and
 * what it reads back from the box, so the diff compares like with like.
 * Server lines are weft's own format: "    server NAME IP:PORT weight N REST". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hap.h"

uint64_t hap_hash(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static struct hap_backend *add_backend(struct hap_config *c, const char *name, size_t len)
{
	if (c->n_backends == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct hap_backend *b = realloc(c->backends, cap * sizeof(*b));
		if (!b)
			return NULL;
		c->backends = b;
		c->cap = cap;
	}
	struct hap_backend *b = &c->backends[c->n_backends++];
	memset(b, 0, sizeof(*b));
	b->name = strndup(name, len);
	return b->name ? b : NULL;
}

static int add_server(struct hap_backend *b, const char *line)
{
	char name[256], addr[256];
	int weight = 0, used = 0;
	if (sscanf(line, " server %255s %255s weight %d %n", name, addr, &weight, &used) < 3)
		return 1; /* not one of ours: stays in the skeleton */
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 8;
		struct hap_server *s = realloc(b->servers, cap * sizeof(*s));
		if (!s)
			return -1;
		b->servers = s;
		b->cap = cap;
	}
	struct hap_server *s = &b->servers[b->n++];
	s->name = strdup(name);
	s->addr = strdup(addr);
	s->weight = weight;
	s->runtime_weight = -1;
	s->rest = strdup(used ? line + used : "");
	return s->name && s->addr && s->rest ? 0 : -1;
}

int hap_config_parse(struct hap_config *c, const char *text, size_t len)
{
	c->text = malloc(len + 1);
	c->skeleton = malloc(len + 1);
	if (!c->text || !c->skeleton)
		return -1;
	memcpy(c->text, text, len);
	c->text[len] = 0;
	c->len = len;
	c->hash = hap_hash(text, len);
	size_t sk = 0;
	struct hap_backend *cur = NULL;
	const char *p = c->text, *end = c->text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char line[4096];
		snprintf(line, sizeof(line), "%.*s", (int)(ll < 4095 ? ll : 4095), p);
		int rc = 1;
		if (!strncmp(line, "backend ", 8)) {
			cur = add_backend(c, line + 8, strcspn(line + 8, " \t"));
			if (!cur)
				return -1;
		} else if (line[0] != ' ' && line[0] != '\t' && line[0] && line[0] != '#') {
			cur = NULL;
		} else if (cur) {
			rc = add_server(cur, line);
			if (rc < 0)
				return -1;
		}
		if (rc) {
			memcpy(c->skeleton + sk, p, ll);
			sk += ll;
			c->skeleton[sk++] = '\n';
		}
		p += ll + 1;
	}
	c->skeleton[sk] = 0;
	return 0;
}

void hap_config_free(struct hap_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_backends; i++) {
		struct hap_backend *b = &c->backends[i];
		for (size_t j = 0; j < b->n; j++) {
			free(b->servers[j].name);
			free(b->servers[j].addr);
			free(b->servers[j].rest);
		}
		free(b->servers);
		free(b->name);
	}
	free(c->backends);
	free(c->text);
	free(c->skeleton);
	weft_warnings_free(&c->warnings);
	free(c);
}

const struct hap_backend *hap_config_backend(const struct hap_config *c, const char *name)
{
	for (size_t i = 0; c && i < c->n_backends; i++)
		if (!strcmp(c->backends[i].name, name))
			return &c->backends[i];
	return NULL;
}
