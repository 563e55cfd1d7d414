/* The F5 adapter's model of a BIG-IP partition: a flat, sorted list of LTM
 * objects (monitors, pools, pool members, data groups, iRules, LTM policies,
 * SSL profiles, virtual servers), each with the JSON body iControl REST
 * takes or returns. render (f5_render*.c) builds the desired list, observe
 * (f5_observe.c) reads the actual one back, diff (f5_diff.c) compares them.
 *
 * Types are listed in dependency order: an object may refer only to objects
 * of earlier types, so creates run in this order and deletes in reverse
 * (docs/architecture.md, "Plan"). Members are separate objects keyed by their pool, so
 * that one endpoint change is one member operation, not a pool replace.
 *
 * Ownership: every object weft creates carries the mark F5_MARK at the start
 * of its `description` (iRules, which have no description on every BIG-IP
 * version, carry it as the first line of their TCL text as a comment). An
 * object without the mark is the operator's and is never changed. */
#ifndef WEFT_F5_MODEL_H
#define WEFT_F5_MODEL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "warning.h"

#define F5_MARK      "weft:managed"
#define F5_RULE_MARK "# " F5_MARK

enum f5_type {
	F5T_MON_HTTP,
	F5T_MON_TCP,
	F5T_POOL,
	F5T_MEMBER,
	F5T_DATAGROUP,
	F5T_RULE,
	F5T_POLICY,
	F5T_CLIENTSSL,
	F5T_SERVERSSL,
	F5T_VIRTUAL,
	F5T_COUNT
};

/* Static facts of one object type. */
struct f5_type_info {
	const char *uri;     /* collection under the host, "/mgmt/tm/ltm/pool" */
	const char *display; /* for messages: "pool", "virtual server" */
};

const struct f5_type_info *f5_type_get(enum f5_type t);

/* One object. path is the full path ("/P/name"); for members it is the
 * pool's full path and member is the member name ("10.0.0.1:80"). body is
 * the REST JSON (desired: what weft sends; actual: what the device said). */
struct f5_obj {
	enum f5_type type;
	char *path;
	char *member;
	json_t *body;
	int owned;      /* actual objects: carries the mark */
	int group;      /* index into the config's groups, -1: none */
	int stale_mark; /* desired: body reused from an earlier render, its
	                 * description names that render's revision */
};

/* A group: the objects one Service renders to (its pools and members),
 * named "ns/name", with a hash of everything they are rendered from. Two
 * renders that give a group the same hash give it the same objects (up to
 * the revision in the mark). A desired config has its groups; the session
 * cache (the partition as a commit left it, f5_expect.c) keeps the groups
 * of the desired it was made from, which lets diff skip the groups whose
 * hash did not change (f5_diff.c). A partition read from the device has
 * none: everything is compared. */
struct f5_group {
	char *name;
	uint64_t hash;
};

struct f5_config {
	char *partition;
	int partition_exists; /* actual: the partition folder is there */
	struct f5_obj *objs;
	size_t n, cap;
	int sorted;
	int64_t rev;             /* desired: the revision rendered */
	struct f5_group *groups; /* sorted by name; NULL: no groups */
	size_t n_groups;
	weft_warnings warnings; /* desired: what BIG-IP cannot express */
};

struct f5_config *f5_config_new(const char *partition);
void f5_config_free(struct f5_config *c);
/* A copy sharing the bodies (json_incref), groups included. NULL when out
 * of memory. */
struct f5_config *f5_config_copy(const struct f5_config *c);
/* Copies src's group table into c (replacing c's). 0 or -1. */
int f5_config_copy_groups(struct f5_config *c, const struct f5_config *src);
/* The index of the group named name in a config, -1 when none. */
int f5_config_group(const struct f5_config *c, const char *name);
/* Appends (steals body; group -1). 0 or -1 (out of memory). */
int f5_config_add(struct f5_config *c, enum f5_type t, const char *path, const char *member,
                  json_t *body);
/* Sorts by (type, path, member) and drops exact duplicate keys (the first
 * one added wins; returns how many were dropped). */
size_t f5_config_sort(struct f5_config *c);
/* Binary search (sorted config); NULL when missing. */
struct f5_obj *f5_config_find(const struct f5_config *c, enum f5_type t, const char *path,
                              const char *member);
/* Order of two keys. */
int f5_obj_cmp(const struct f5_obj *a, const struct f5_obj *b);

/* "/P/a" -> "~P~a" into buf. */
void f5_tilde(const char *full, char *buf, size_t len);
/* The REST URI of an object (collection URI + /~P~name, or the member's). */
void f5_obj_uri(const struct f5_obj *o, char *buf, size_t len);
/* The collection URI to POST a new object to. */
void f5_obj_collection_uri(const struct f5_obj *o, char *buf, size_t len);
/* Display path for plans and messages: "/P/pool" or "/P/pool/members/M". */
void f5_obj_label(const struct f5_obj *o, char *buf, size_t len);

/* Whether an actual body carries weft's ownership mark. */
int f5_body_owned(enum f5_type t, json_t *body);
/* The description weft writes: "weft:managed rev=N" (+ " h=HASH" when
 * hash is not 0, used for LTM policies whose rules are compared by hash). */
json_t *f5_mark(int64_t rev, uint64_t hash);
/* The hash recorded in an LTM policy's mark, 0 when none. */
uint64_t f5_mark_hash(json_t *body);
/* Member name of address:port ("addr.port" for IPv6, as BIG-IP names it). */
void f5_member_name(const char *addr, int port, char *buf, size_t len);

#endif
