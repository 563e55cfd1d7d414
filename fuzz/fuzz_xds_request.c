/* libFuzzer target for the xDS server's request path (adapters/xds/
 * xds_stream.c): DiscoveryRequest (state of the world) and
 * DeltaDiscoveryRequest decoding, and everything a request drives --
 * subscriptions, nonces and ACK/NACK, initial resource versions, the
 * responses built for it, the stream's status and config dump.
 * Input: byte 0 chooses the stream kind (bit 0: Delta) and whether the
 * served set changes between requests (bit 1); then messages, each a
 * 2-byte little-endian length and that many bytes of protobuf, fed in
 * order to one stream as a client would send them. After each one the
 * stream is asked for responses until it has none (at most 8, the one
 * send slot of a real stream). A proxy may send anything: bad requests
 * are counted, never a crash. Seeds: fuzz/corpus/xds/. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "envoy/config/cluster/v3/cluster.pb-c.h"
#include "xds_stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static xds_res *res(xds_type t, const char *name, int gen)
{
	Envoy__Config__Cluster__V3__Cluster c = ENVOY__CONFIG__CLUSTER__V3__CLUSTER__INIT;
	Google__Protobuf__Duration d = GOOGLE__PROTOBUF__DURATION__INIT;
	c.name = (char *)name;
	d.seconds = gen;
	c.connect_timeout = &d;
	return xds_res_new(t, name, &c.base);
}

/* Two generations of the served sets: "a" changes in every type, "b"
 * stays, "c" exists only in the first (deletion by absence). */
static xds_source sources[2];

static void build_sources(void)
{
	static const char *const names[2][3] = {{"a", "b", "c"}, {"a", "b", NULL}};
	for (int g = 0; g < 2; g++) {
		for (int t = 0; t < XDS_NTYPES; t++) {
			xds_resset *s = xds_resset_new();
			for (int i = 0; i < 3 && names[g][i]; i++)
				xds_resset_add(s, res(t, names[g][i], i == 0 ? g + 1 : 1));
			xds_resset_seal(s, g ? sources[0].sets[t] : NULL);
			sources[g].sets[t] = s;
		}
		snprintf(sources[g].version, sizeof(sources[g].version), "v%d", g + 1);
	}
}

static void drain(xds_stream *s, const xds_source *src)
{
	for (int i = 0; i < 8; i++) {
		uint8_t *out = NULL;
		size_t len = 0;
		int type = -1;
		int rc = xds_stream_next(s, src, &out, &len, &type);
		free(out);
		if (rc <= 0)
			break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!sources[0].sets[0])
		build_sources();
	if (size < 1)
		return 0;
	/* one intern table per stream's life here, so nothing accumulates */
	xds_intern *intern = xds_intern_new();
	if (!intern)
		return 0;
	int delta = data[0] & 1, flip = data[0] & 2, gen = 0;
	xds_stream s;
	xds_stream_init(&s, delta, intern);
	size_t off = 1;
	int64_t now = 1000;
	while (off + 2 <= size) {
		size_t len = (size_t)data[off] | (size_t)data[off + 1] << 8;
		off += 2;
		if (len > size - off)
			len = size - off;
		int got_node = 0;
		xds_stream_on_request(&s, data + off, len, now, &got_node);
		off += len;
		now += 10;
		if (flip) {
			gen ^= 1;
			xds_stream_source_changed(&s, &sources[gen]);
		}
		drain(&s, &sources[gen]);
	}
	json_decref(xds_stream_status(&s));
	json_decref(xds_stream_config_dump(&s));
	xds_stream_free(&s);
	xds_intern_free(intern);
	return 0;
}
