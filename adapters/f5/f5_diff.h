/* diff: desired vs observed partition -> an ordered list of iControl REST
 * requests (the plan), each printable, plus what the other phases need:
 * the inverse requests (to roll back a committed plan) and the partition
 * as it will be after the commit (the session's cache, so that the next
 * push need not read the device again; see f5_observe.c).
 *
 * Order: the partition folder (when missing), then creates and updates by
 * type in dependency order (monitors, pools and members, data groups,
 * iRules, LTM policies, profiles, virtuals), then deletes in reverse type
 * order. Minimal: a changed member is one member request (PATCH with only
 * the changed properties, POST, or DELETE), a new pool is one POST carrying
 * its members, members of a deleted pool go with it. LTM policies are
 * written as a draft then published (two requests). Objects without weft's
 * mark are never touched; a desired object whose name is taken by one of
 * them is an error naming it.
 *
 * Groups (f5_model.h): when the actual partition is the session cache of an
 * earlier commit, it carries the groups of the desired it was made from,
 * and a group whose hash is the same in both is skipped (its objects are
 * equal by construction): a small change costs a small diff. Objects taken
 * from the render memo (stale_mark) are sent with this revision's mark. */
#ifndef WEFT_F5_DIFF_H
#define WEFT_F5_DIFF_H

#include "adapter.h"
#include "f5_model.h"

struct f5_req {
	char *method; /* POST, PATCH, DELETE */
	char *uri;    /* "/mgmt/tm/ltm/pool/~P~a/members" */
	json_t *body; /* NULL for DELETE */
};

struct f5_reqs {
	struct f5_req *items;
	size_t n, cap;
};

/* The plan's priv. */
struct f5_plan_priv {
	struct f5_reqs fwd;         /* the plan, in order */
	struct f5_reqs undo;        /* inverse, in the order to run it */
	struct f5_config *expected; /* partition after commit */
	char trans_id[64];          /* transaction of prepare, "" when none */
	int committed;
};

int f5_reqs_add(struct f5_reqs *r, const char *method, const char *uri, json_t *body);
void f5_reqs_clear(struct f5_reqs *r);
void f5_plan_priv_free(void *priv);

/* Fills plan (ops + priv). desired and actual must be sorted. 0 or -1. */
int f5_diff_configs(const char *device, const struct f5_config *desired,
                    const struct f5_config *actual, weft_plan *plan, weft_err *err);

/* ---- f5_compare.c ---- */
/* The properties of desired that the actual body lacks or holds otherwise,
 * as a PATCH body (without identity fields), or NULL when they agree. */
json_t *f5_changed_props(enum f5_type t, json_t *desired, json_t *actual);
/* actual's values for the given keys (normalised), for rollback PATCHes. */
json_t *f5_old_props(enum f5_type t, json_t *keys, json_t *actual);
/* A body that recreates an observed object (read-only and subcollection
 * fields turned into writable ones). New reference. */
json_t *f5_sanitize(json_t *observed);

#endif
