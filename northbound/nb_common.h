/* Rows and helpers shared by the translators of northbound/: the object
 * metadata every Kubernetes-style kind carries, and small JSON builders. */
#ifndef WEFT_NORTHBOUND_COMMON_H
#define WEFT_NORTHBOUND_COMMON_H

#include "xlate.h"

#define T_ WEFT_FIELD_TRANSLATED
#define W_ WEFT_FIELD_WARNED
#define I_ WEFT_FIELD_IGNORED
#define R_ WEFT_FIELD_REFUSED

/* metadata without labels (each kind says what its labels become). */
#define NB_META_ROWS                                                                               \
	{"metadata", T_, "metadata"}, {"metadata.name", T_, "metadata.name"},                      \
	        {"metadata.namespace", T_,                                                         \
	         "metadata.namespace (absent: --namespace, else default)"},                        \
	        {"metadata.annotations", W_, "weft has no annotations"},                           \
	        {"metadata.uid", I_, "set by the API server"},                                     \
	        {"metadata.resourceVersion", I_, "set by the API server"},                         \
	        {"metadata.generation", I_, "set by the API server"},                              \
	        {"metadata.creationTimestamp", I_, "set by the API server"},                       \
	        {"metadata.deletionTimestamp", I_, "set by the API server"},                       \
	        {"metadata.deletionGracePeriodSeconds", I_, "set by the API server"},              \
	        {"metadata.managedFields", I_, "set by the API server"},                           \
	        {"metadata.selfLink", I_, "set by the API server"},                                \
	        {"metadata.generateName", R_, "weft needs the resource's own name"},               \
	        {"metadata.ownerReferences", I_, "Kubernetes garbage collection"},                 \
	        {"metadata.finalizers", I_, "Kubernetes deletion hooks"},                          \
	{                                                                                          \
		"status", I_, "observed state, written by controllers"                             \
	}

#define NB_META_LABELS_WARNED                                                                      \
	{                                                                                          \
		"metadata.labels", W_, "labels of this kind are not carried"                       \
	}

#define NB_ROWS(a) (sizeof(a) / sizeof((a)[0]))

/* "base[i]" / "base.key" into a caller's buffer. */
const char *nb_path(char *buf, size_t cap, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Appends v to the array under key of obj (created when absent). */
void nb_append(json_t *obj, const char *key, json_t *v);

/* The Kubernetes label selector / labels map of a weft_node as a JSON
 * object for comparison; NULL when absent. */
int nb_labels_subset(const json_t *small, const json_t *big);

#endif
