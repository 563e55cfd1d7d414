/* Internal interfaces between the F5 adapter's files (not for other
 * components; the public header is f5_adapter.h). The phases of
 * core/adapter.h map onto them as:
 *   open/close  f5_http.c      (session, auth, retries)
 *   render      f5_render*.c   (pure)
 *   observe     f5_observe.c   (partition GETs, session cache)
 *   diff        f5_diff.c      (+ f5_compare.c, f5_expect.c)
 *   prepare/apply/confirm/abort  f5_txn.c (one REST transaction per plan) */
#ifndef WEFT_F5_ADAPTER_INT_H
#define WEFT_F5_ADAPTER_INT_H

#include "adapter.h"
#include "f5_diff.h"
#include "f5_http.h"
#include "f5_model.h"

/* The partition as it is (full read or session cache); caller frees. */
int f5_observe_config(struct f5_session *s, struct f5_config **out, weft_err *err);
/* The objects of one collection GET reply (its "items", only those directly
 * in the partition; a pool's expanded members too) added to c: 0, or -1
 * when out of memory. Any JSON is safe here: what is not an object of the
 * expected shape is skipped. f5_observe_finish() sorts c and marks what
 * weft owns, once every collection is in. */
int f5_observe_collection(struct f5_config *c, const char *partition, enum f5_type t,
                          json_t *reply);
void f5_observe_finish(struct f5_config *c);

/* The partition after des is committed over act (shares bodies).
 * touched[i]: desired object i is created or updated by the plan (else the
 * observed body is kept as it is). */
struct f5_config *f5_expected_config(const struct f5_config *des, const struct f5_config *act,
                                     const unsigned char *touched);

int f5_txn_prepare(struct f5_session *s, weft_plan *plan, weft_err *err);
int f5_txn_apply(struct f5_session *s, weft_plan *plan, weft_err *err);
int f5_txn_abort(struct f5_session *s, weft_plan *plan, weft_err *err);

#endif
