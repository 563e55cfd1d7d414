/* One SSH session to an haproxy box and the phases that use it
 * (hap_apply.c). */
#ifndef HAP_SESSION_H
#define HAP_SESSION_H

#include "adapter.h"
#include "hap_ssh.h"

struct hap_session {
	struct hap_ssh *ssh;
	char device[256];
	char cfg[1024], staged[1100], bin[512];
	int master_port;
};

int hap_prepare(void *ctx, void *session, weft_plan *plan, weft_err *err);
int hap_apply(void *ctx, void *session, weft_plan *plan, weft_err *err);
int hap_abort(void *ctx, void *session, weft_plan *plan, weft_phase phase, weft_err *err);

#endif
