/* Recovery over a mixed fleet (fleet.h: a file device in push group 0,
 * two ncsim NETCONF devices in group 1, f5sim in group 2):
 *
 * - weftd SIGKILLed in the middle of a transaction (nc-a slowed down with
 *   ncsim's latency knob; the kill lands while nc-a prepares, the other
 *   devices prepared or preparing), then restarted on the same state
 *   directory: every device converges to the head revision -- weft says
 *   in-sync at head and the devices read back agree;
 * - drift repaired: with the F5 Device's `drift: repair`, a pool member's
 *   ratio changed by hand on f5sim is put back within a bounded wait.
 *
 * The same scenarios with the kill after nc-a's confirmed commit, and with
 * the drift right after weftd's first transaction, fail today because of
 * weft bugs: see test_fleet_regressions.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>

#include "fleet_scen.h"

static int setup_kill(void **state)
{
	fleet_opts o = {.reconcile_ms = 500, .confirm_timeout_s = SCEN_CONFIRM_TIMEOUT_S};
	return scen_fleet_start(state, &o);
}

static int setup_drift(void **state)
{
	fleet_opts o = {.reconcile_ms = 300, .f5_drift = "repair"};
	return scen_fleet_start(state, &o);
}

static void test_weftd_killed_mid_transaction(void **state)
{
	scen_kill_mid_transaction(*state, SCEN_KILL_IN_PREPARE);
}

/* Two revisions before the hand edit: after only the first transaction
 * since weftd started, reconciles never run (test_fleet_regressions.c). */
static void test_f5_drift_repaired(void **state)
{
	scen_f5_drift_repaired(*state, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_weftd_killed_mid_transaction, setup_kill,
	                                        scen_fleet_teardown),
	        cmocka_unit_test_setup_teardown(test_f5_drift_repaired, setup_drift,
	                                        scen_fleet_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
