/* observe: read the partition back from the BIG-IP.
 *
 * A full read is one GET per collection weft uses, filtered to the
 * partition ($filter=partition eq P), with expandSubcollections=true where
 * weft needs the subcollection (pool members, policy rules, virtual
 * profiles/policies): 9 GETs plus the partition folder, whatever the size.
 * Objects in sub-folders (Drafts, application services) are not weft's and
 * are skipped.
 *
 * Between full reads the session answers from its cache: the partition as
 * read, updated to what each successful commit made it (f5_expect.c). This
 * is what makes one endpoint change cost a transaction of three calls and
 * no reads. Hand edits are found at the next full read: the cache lives
 * WEFT_F5_RESYNC_MS milliseconds (environment, default 30000; 0 = read in
 * full on every push), and a new session (after any failed push, and for
 * every dry-run plan) always reads in full. */
#include "f5_adapter_int.h"

#include <stdio.h>
#include <string.h>

static const struct {
	enum f5_type type;
	int expand;
} collections[] = {
        {F5T_MON_HTTP, 0},  {F5T_MON_TCP, 0},   {F5T_POOL, 1},
        {F5T_DATAGROUP, 0}, {F5T_RULE, 0},      {F5T_POLICY, 1},
        {F5T_CLIENTSSL, 0}, {F5T_SERVERSSL, 0}, {F5T_VIRTUAL, 1},
};

/* Objects directly in the partition: "/P/name" (no sub-folder). */
static int in_partition(const char *full, const char *part)
{
	size_t n = strlen(part);
	return full && full[0] == '/' && !strncmp(full + 1, part, n) && full[n + 1] == '/' &&
	       !strchr(full + n + 2, '/');
}

static int add_members(struct f5_config *c, const char *pool, json_t *body)
{
	json_t *items = json_object_get(json_object_get(body, "membersReference"), "items"), *m;
	size_t i;
	json_array_foreach(items, i, m)
	{
		const char *name = json_string_value(json_object_get(m, "name"));
		if (!name)
			continue;
		if (f5_config_add(c, F5T_MEMBER, pool, name, json_incref(m)))
			return -1;
	}
	return 0;
}

static int read_collection(struct f5_session *s, struct f5_config *c, enum f5_type t, int expand,
                           weft_err *err)
{
	char uri[1024];
	snprintf(uri, sizeof(uri), "%s?$filter=partition%%20eq%%20%s%s", f5_type_get(t)->uri,
	         s->partition, expand ? "&expandSubcollections=true" : "");
	json_t *ans = NULL;
	if (f5_request(s, "GET", uri, NULL, NULL, &ans, NULL, err))
		return -1;
	int rc = f5_observe_collection(c, s->partition, t, ans);
	json_decref(ans);
	return rc ? weft_err_set(err, "device %s: observe: out of memory", s->device) : 0;
}

int f5_observe_collection(struct f5_config *c, const char *partition, enum f5_type t, json_t *reply)
{
	json_t *items = json_object_get(reply, "items"), *it;
	size_t i;
	int rc = 0;
	json_array_foreach(items, i, it)
	{
		const char *full = json_string_value(json_object_get(it, "fullPath"));
		if (!in_partition(full, partition))
			continue;
		rc = f5_config_add(c, t, full, NULL, json_incref(it));
		if (!rc && t == F5T_POOL)
			rc = add_members(c, full, it);
		if (rc)
			break;
	}
	return rc;
}

void f5_observe_finish(struct f5_config *c)
{
	f5_config_sort(c);
	for (size_t i = 0; i < c->n; i++)
		c->objs[i].owned = f5_body_owned(c->objs[i].type, c->objs[i].body);
}

static int read_all(struct f5_session *s, struct f5_config **out, weft_err *err)
{
	struct f5_config *c = f5_config_new(s->partition);
	if (!c)
		return weft_err_set(err, "out of memory");
	char uri[512];
	snprintf(uri, sizeof(uri), "/mgmt/tm/sys/folder/~%s", s->partition);
	long status = 0;
	weft_err ferr = {0};
	if (!f5_request(s, "GET", uri, NULL, NULL, NULL, &status, &ferr)) {
		c->partition_exists = 1;
	} else if (status != 404) {
		*err = ferr;
		f5_config_free(c);
		return -1;
	}
	for (size_t i = 0; c->partition_exists && i < sizeof(collections) / sizeof(*collections);
	     i++) {
		if (read_collection(s, c, collections[i].type, collections[i].expand, err)) {
			f5_config_free(c);
			return -1;
		}
	}
	f5_observe_finish(c);
	*out = c;
	return 0;
}

int f5_observe_config(struct f5_session *s, struct f5_config **out, weft_err *err)
{
	long long now = f5_now_ms();
	if (s->cache && s->resync_ms > 0 && now - s->cache_read_ms < s->resync_ms) {
		*out = f5_config_copy(s->cache);
		return *out ? 0 : weft_err_set(err, "out of memory");
	}
	struct f5_config *c;
	if (read_all(s, &c, err))
		return -1;
	f5_config_free(s->cache);
	s->cache = f5_config_copy(c);
	s->cache_read_ms = now;
	*out = c;
	return 0;
}
