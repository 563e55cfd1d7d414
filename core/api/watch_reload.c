/* Reload of the --policy directory (see watch.h): load every policy file,
 * apply the whole set with WEFT_APPLY_SYNC, and log the outcome -- one line
 * per problem with its file:line:col, so an operator who saved a broken
 * file sees exactly where, while the running revision stays in force. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "watch-int.h"

static void log_diags(weft_log *log, const weft_diags *diags)
{
	for (size_t i = 0; i < diags->count; i++) {
		const weft_diag *d = &diags->items[i];
		char at[1200];
		if (d->line > 0)
			snprintf(at, sizeof(at), "%s:%d:%d", d->file, d->line, d->col);
		else
			snprintf(at, sizeof(at), "%s", d->file);
		weft_log_event(log, WEFT_LOG_ERROR, "policy error", "at", at, "path", d->path,
		               "error", d->msg, NULL);
	}
}

static size_t count_docs(const weft_docset *set)
{
	size_t n = 0;
	for (size_t i = 0; i < set->count; i++)
		n += set->docs[i].root != NULL;
	return n;
}

static void log_applied(weft_log *log, const char *dir, const weft_write_result *res)
{
	char rev[32], cr[24], up[24], del[24];
	snprintf(rev, sizeof(rev), "%lld", (long long)res->revision);
	snprintf(cr, sizeof(cr), "%zu", res->created);
	snprintf(up, sizeof(up), "%zu", res->updated);
	snprintf(del, sizeof(del), "%zu", res->deleted);
	if (res->created + res->updated + res->deleted == 0)
		weft_log_event(log, WEFT_LOG_INFO, "policy unchanged", "dir", dir, "revision", rev,
		               NULL);
	else
		weft_log_event(log, WEFT_LOG_INFO, "policy applied", "dir", dir, "revision", rev,
		               "created", cr, "updated", up, "deleted", del, NULL);
}

/* Loads dir and applies it; the body of weft_policy_watch_reload(). */
int api_watch_apply_dir(const char *dir, weft_controller *c, weft_log *log)
{
	weft_docset set;
	weft_diags diags;
	weft_err err = {0};
	char head[32];
	snprintf(head, sizeof(head), "%lld", (long long)weft_controller_head(c));
	if (weft_docset_init(&set) != 0)
		return -1;
	weft_diags_init(&diags);
	int rc = weft_docset_load_path(&set, dir, &diags);
	if (rc != 0 || diags.count) {
		rc = WEFT_EINVALID;
	} else if (count_docs(&set) == 0) {
		weft_log_event(log, WEFT_LOG_WARN,
		               "policy directory holds no documents, not applied", "dir", dir,
		               "revision", head, NULL);
	} else {
		weft_write_result res = {0};
		rc = weft_controller_apply(c, &set, WEFT_APPLY_SYNC, WEFT_POLICY_WATCH_AUTHOR, -1,
		                           0, &res, &diags, &err);
		if (rc == 0)
			log_applied(log, dir, &res);
		weft_write_result_free(&res);
	}
	if (rc == WEFT_EINVALID) {
		weft_diags_sort(&diags);
		log_diags(log, &diags);
		weft_log_event(log, WEFT_LOG_ERROR, "policy rejected, keeping the running revision",
		               "dir", dir, "revision", head, NULL);
	} else if (rc != 0) {
		weft_log_event(log, WEFT_LOG_ERROR, "policy apply failed", "dir", dir, "error",
		               err.msg, NULL);
	}
	weft_diags_free(&diags);
	weft_docset_free(&set);
	return rc;
}
