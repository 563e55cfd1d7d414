/* f5sim: interfaces between the LTM object handlers (ltm.c, ltmpool.c,
 * ltmquery.c). Internal to simulators/f5sim; see f5sim.h for the layout. */
#ifndef F5SIM_LTM_H
#define F5SIM_LTM_H

#include "f5sim.h"

/* What a URL below /mgmt/tm/ names. */
struct target {
	enum otype t;   /* the collection's type (OT_POOL for members) */
	char full[600]; /* object full path (member full path if has_member) */
	char pool[600]; /* pool full path when has_member */
	int has_name;   /* an object, not a collection */
	int members;    /* .../members[...] */
	int has_member; /* .../members/NAME */
};

/* 0 and *tg filled, or -1 when rest is not a path f5sim serves. */
int ltm_parse_target(const char *rest, struct target *tg);
/* A new JSON object holding the defaults of type t. */
json_t *ltm_defaults(enum otype t);
/* Copies body's properties into obj except identity/metadata ("members" too
 * when skip_members). */
void ltm_merge_body(json_t *obj, json_t *body, int skip_members);
/* Sets name/partition/subPath/fullPath of obj from a POST body. 0 or status. */
int ltm_identity(enum otype t, json_t *obj, json_t *body, char *full, size_t len, json_t **err);
/* 0 when obj's folder exists, else 400 with *err. */
int ltm_folder_check(struct store *st, enum otype t, json_t *obj, json_t **err);
/* Validates refs, stores obj (stolen) at full, replaces the pool's members
 * when members is an array; answers 200 with the stored object. */
int ltm_store_checked(struct sim *s, enum otype t, const char *full, json_t *obj, json_t *members,
                      json_t **out);

/* ltmpool.c */
int pool_set_members(struct sim *s, const char *pool, json_t *members, json_t **err);
int members_handle(struct sim *s, const char *method, const struct target *tg,
                   const struct query *q, json_t *body, json_t **out);
int policy_command(struct sim *s, json_t *body, json_t **out);
int policy_create_draft(struct sim *s, const char *full, json_t **out);

#endif
