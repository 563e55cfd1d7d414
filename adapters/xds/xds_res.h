/* The encoded-resource cache of the xDS server (docs/architecture.md,
 * "Device families"). A rendered resource is packed ONCE into the exact bytes that
 * responses carry (the repeated field 2 of DiscoveryResponse -- an Any --
 * and of DeltaDiscoveryResponse -- a Resource wrapping the Any), kept in a
 * refcounted xds_res, and shared by every view and stream that needs it: a
 * response is assembled by concatenating these blobs after a small header.
 *
 * An xds_resset is one type's resources of one view, sorted by name,
 * immutable once built and refcounted (streams keep the set they were last
 * sent). It remembers which names changed against its predecessor so that
 * an endpoint change costs each stream a few lookups, not a full compare.
 *
 * An xds_nameset is a sorted, deduplicated, refcounted list of resource
 * names (a stream's subscription), interned so that 10,000 streams
 * subscribed to the same 3,000 clusters share one copy. */
#ifndef WEFT_XDS_RES_H
#define WEFT_XDS_RES_H

#include <protobuf-c/protobuf-c.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* Resource types, in make-before-break send order: secrets and clusters
 * before the endpoints they need, listeners before their routes. */
typedef enum xds_type { XDS_SDS, XDS_CDS, XDS_EDS, XDS_LDS, XDS_RDS, XDS_NTYPES } xds_type;

const char *xds_type_url(xds_type t);
const char *xds_type_short(xds_type t); /* "lds", "cds" ... */
/* -1 when url is not a type weft serves. */
int xds_type_from_url(const char *url);
/* Whether SotW responses of t must carry the complete set (LDS, CDS). */
int xds_type_full_state(xds_type t);

typedef struct xds_res {
	atomic_int refs;
	xds_type type;
	char *name;
	char version[17]; /* hex of hash */
	uint64_t hash;    /* of type and encoded bytes */
	uint8_t *sotw;    /* tag + length + Any */
	size_t sotw_len;
	uint8_t *delta; /* tag + length + Resource{name, version, Any} */
	size_t delta_len;
	size_t value_len; /* the message itself */
} xds_res;

/* Packs m; NULL when out of memory. */
xds_res *xds_res_new(xds_type type, const char *name, const ProtobufCMessage *m);
xds_res *xds_res_ref(xds_res *r);
void xds_res_unref(xds_res *r);
/* The packed message (inside the Any), for config dumps and tests. */
const uint8_t *xds_res_value(const xds_res *r, size_t *len);

typedef struct xds_resset {
	atomic_int refs;
	uint64_t id, pred_id; /* unique id; id of the set it was diffed against */
	xds_res **items;      /* sorted by name */
	size_t count, cap;
	char **changed; /* names added/updated/removed vs pred (sorted) */
	size_t n_changed;
	size_t bytes;      /* sum of sotw_len */
	uint8_t *all_sotw; /* every sotw blob in order (built on first use) */
} xds_resset;

xds_resset *xds_resset_new(void);
/* Takes over the reference of r. 0 or -1 (out of memory). */
int xds_resset_add(xds_resset *s, xds_res *r);
/* Sorts by name, drops duplicates (keeps the first), and -- when pred is
 * given -- replaces every resource whose bytes equal pred's by pred's
 * object (so unchanged resources keep their identity across snapshots) and
 * records the changed names. */
int xds_resset_seal(xds_resset *s, const xds_resset *pred);
xds_res *xds_resset_find(const xds_resset *s, const char *name);
/* The SotW bytes of every resource of s, concatenated (s->bytes long),
 * built once and kept with s: a response carrying the whole set shares
 * this one buffer. NULL when out of memory. Single thread (the server's). */
const uint8_t *xds_resset_all_sotw(xds_resset *s);
xds_resset *xds_resset_ref(xds_resset *s);
void xds_resset_unref(xds_resset *s);

typedef struct xds_nameset {
	atomic_int refs;
	uint64_t hash;
	char **names; /* sorted, unique */
	size_t count;
} xds_nameset;

/* A nameset from names (copied, sorted, deduplicated). */
xds_nameset *xds_nameset_new(char *const *names, size_t n);
xds_nameset *xds_nameset_ref(xds_nameset *s);
void xds_nameset_unref(xds_nameset *s);
int xds_nameset_has(const xds_nameset *s, const char *name);
int xds_nameset_equal(const xds_nameset *a, const xds_nameset *b);
/* a + add - remove; a may be NULL. */
xds_nameset *xds_nameset_edit(const xds_nameset *a, char *const *add, size_t n_add,
                              char *const *remove, size_t n_remove);

/* Interning table for namesets (one per server, single thread). */
typedef struct xds_intern xds_intern;
xds_intern *xds_intern_new(void);
void xds_intern_free(xds_intern *t);
/* Returns a referenced set equal to s (s itself or an older equal one);
 * consumes the caller's reference to s. */
xds_nameset *xds_intern_nameset(xds_intern *t, xds_nameset *s);
/* Drops entries nobody else references. */
void xds_intern_gc(xds_intern *t);

#endif
