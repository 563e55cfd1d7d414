/* ads_resources: the fixed resources of ads_testserver (see its header
 * comment) encoded with weft_xdsproto, and small helpers. Test code only. */
#ifndef WEFT_ADS_RESOURCES_H
#define WEFT_ADS_RESOURCES_H

#include <jansson.h>

#include "google/protobuf/any.pb-c.h"
#include "google/protobuf/struct.pb-c.h"

enum { T_LDS, T_RDS, T_CDS, T_EDS, NTYPES };

const char *res_type_name(int t);
const char *res_type_url(int t);
/* The type of a type_url, or -1. */
int res_type_of(const char *url);
/* Every resource name of type t (strdup'ed into out, at most max). */
int res_all_names(int t, int nclusters, char **out, int max);
/* Resource `name` of type t at `version`, packed in a new Any; NULL when
 * there is no such resource. Free with res_any_free. */
Google__Protobuf__Any *res_encode(int t, const char *name, int version, int nclusters);
void res_any_free(Google__Protobuf__Any *a);
/* google.protobuf.Struct -> JSON (NULL -> {}). */
json_t *res_struct_to_json(const Google__Protobuf__Struct *s);

#endif
