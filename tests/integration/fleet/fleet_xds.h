/* The proxy fleet of the mixed-fleet tests (fleet.h, opts.proxies > 0):
 * weftd serves ADS on a free port (--xds) and simulators/xdsfleet runs
 * opts.proxies simulated Envoy proxies against it (SotW, CDS + EDS, node
 * ids fleet-proxy-0 .. fleet-proxy-(N-1), no Device matches them: they are
 * the default feed, which follows the controller's committed intent).
 *
 * What a proxy holds is read two ways, both from real streams:
 *  - what it RECEIVED: xdsfleet's --trace-file, one JSON line per response
 *    a proxy processed (docs/xdsfleet.md), read while the fleet runs: the
 *    weights of shop/web's EDS resource (cluster outbound|80||web.shop) in
 *    the last response it accepted, and whether any proxy ever received a
 *    given pair of weights;
 *  - what weft saw it ACK: GET /v1/status, "xds" -> "proxies" -> per node
 *    "types" -> "eds" -> "version_acked" (the feed's revision). */
#ifndef WEFT_IT_FLEET_XDS_H
#define WEFT_IT_FLEET_XDS_H

#include "fleet.h"

/* Node id prefix of the simulated proxies. */
#define FLEET_PROXY_PREFIX "fleet-proxy"
/* shop/web's EDS resource name (docs/adapter-xds.md, cluster naming). */
#define FLEET_WEB_CLUSTER "outbound|80||web.shop"

/* Starts xdsfleet against f->xds_port (called by fleet_start). 0 or -1. */
int fleet_proxies_start(fleet *f);

/* The weights proxy idx holds for 10.0.0.1 and 10.0.0.2: those of the
 * last EDS response it accepted that carried shop/web (-1 when missing).
 * Returns the unix ms at which it received them, 0 when it has none, -1
 * when the trace cannot be read. */
long long fleet_proxy_weights(fleet *f, int idx, int w[2]);
/* 1 when every proxy holds w1/w2 (what[] says which do not). */
int fleet_proxies_hold(fleet *f, int w1, int w2, char *what, size_t len);
/* Polls fleet_proxies_hold up to timeout_ms; 0 or -1 (prints what). */
int fleet_proxies_wait_hold(fleet *f, int w1, int w2, int timeout_ms);
/* How many responses (any proxy, accepted or not) carried shop/web with
 * weights w1/w2; *first_ms (may be NULL) gets the earliest arrival (unix
 * ms, 0 when none). -1 when the trace cannot be read. */
int fleet_proxies_received(fleet *f, int w1, int w2, long long *first_ms);

/* 1 when /v1/status lists every proxy with types.eds.version_acked equal
 * to revision rev (what[] says which do not). EDS only: the weights under
 * test live there, and in SotW a type whose resources did not change is
 * not resent, so CDS stays ACKed at the revision that last changed it. */
int fleet_proxies_acked(fleet *f, long long rev, char *what, size_t len);
/* How many proxies in /v1/status carry a config dump (weftd leaves them
 * out: they are for plans), or -1. */
int fleet_status_config_dumps(fleet *f);
/* Polls fleet_proxies_acked up to timeout_ms; 0 or -1 (prints what). */
int fleet_proxies_wait_acked(fleet *f, long long rev, int timeout_ms);

#endif
