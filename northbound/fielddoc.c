/* The field reference of docs/northbound.md, generated from the field
 * tables the translators refuse by (core/translator.h), so that the page
 * and the code cannot disagree: tests/northbound/run.sh compares them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xlate.h"

static const char *action_name(weft_field_action a)
{
	switch (a) {
	case WEFT_FIELD_TRANSLATED:
		return "translated";
	case WEFT_FIELD_WARNED:
		return "warned";
	case WEFT_FIELD_IGNORED:
		return "ignored";
	case WEFT_FIELD_REFUSED:
		return "refused";
	}
	return "?";
}

/* The metadata and status rows every kind shares (labels differ per kind). */
static int common_row(const char *path)
{
	return (!strncmp(path, "metadata", 8) && strncmp(path, "metadata.labels", 15)) ||
	       !strcmp(path, "status");
}

static void row(FILE *out, const weft_field_rule *r)
{
	fprintf(out, "| `%s` | %s | ", r->path, action_name(r->action));
	for (const char *p = r->what; *p; p++)
		fputs(*p == '|' ? "\\|" : (char[]){*p, 0}, out);
	fputs(" |\n", out);
}

int weft_northbound_field_doc(FILE *out)
{
	const weft_translator *all[64];
	size_t n = weft_translator_list(all, 64);
	fprintf(out, "### Every kind: metadata and status\n\n| field | | to what / why "
	             "|\n|---|---|---|\n");
	for (size_t k = 0; n && k < all[0]->n_fields; k++)
		if (common_row(all[0]->fields[k].path))
			row(out, &all[0]->fields[k]);
	fputc('\n', out);
	for (size_t i = 0; i < n; i++) {
		const weft_translator *t = all[i];
		fprintf(out, "### %s%s%s\n\nVersions:", t->group, *t->group ? " " : "", t->kind);
		for (const char *const *v = t->versions; *v; v++)
			fprintf(out, " `%s`", *v);
		fprintf(out, ".\n\n| field | | to what / why |\n|---|---|---|\n");
		for (size_t k = 0; k < t->n_fields; k++)
			if (!common_row(t->fields[k].path))
				row(out, &t->fields[k]);
		fputc('\n', out);
	}
	return ferror(out) ? -1 : 0;
}
