/* Test scenarios over the mixed fleet (fleet.h) shared by the test
 * programs: the passing variants (test_fleet_recovery.c) and the
 * reproductions of known weft bugs (test_fleet_regressions.c) run the same
 * steps with one parameter changed. They assert with cmocka. */
#ifndef WEFT_IT_FLEET_SCEN_H
#define WEFT_IT_FLEET_SCEN_H

#include "fleet.h"

/* nc-a's confirmTimeout in the kill scenario, seconds. */
#define SCEN_CONFIRM_TIMEOUT_S 3

/* Where the SIGKILL of weftd lands in scen_kill_mid_transaction. */
enum scen_kill_point {
	/* nc-a received its edit-config of the candidate (prepare phase):
	 * nothing is applied anywhere yet */
	SCEN_KILL_IN_PREPARE,
	/* nc-a received its confirmed commit (apply phase, group 1): the
	 * files and nc-b are applied, nc-a's commit is pending confirmation
	 * (persist), the F5 (group 2) is not applied */
	SCEN_KILL_AFTER_CONFIRMED_COMMIT,
};

/* Revision 1 (3/1) everywhere, then revision 2 (5/2) with nc-a slowed
 * down (250 ms per reply), weftd SIGKILLed at the given point and
 * restarted on the same state dir: every device must hold 5/2 and weft
 * say in-sync at revision 2, also after nc-a's confirm timeout. */
void scen_kill_mid_transaction(fleet *f, enum scen_kill_point at);

/* With the F5 Device's drift: repair: `revisions` revisions committed
 * (weights 4/1 last), then a member ratio changed by hand on f5sim; it must
 * be back to 4 within 10 s, with no new revision. */
void scen_f5_drift_repaired(fleet *f, int revisions);

/* ncsim control helpers (assert on failure). */
void scen_nc_post(fleet *f, const char *path, const char *body);
int scen_nc_confirm_pending(fleet *f, int idx);

/* cmocka setup/teardown helpers: a fleet started with o in *state (NULL
 * and -1 when it cannot start: cmocka runs no teardown after a failed
 * setup, so this stops what did start), and its stop (the weftd, ncsim and
 * f5sim exit codes decide the teardown's result). */
int scen_fleet_start(void **state, const fleet_opts *o);
int scen_fleet_teardown(void **state);

#endif
