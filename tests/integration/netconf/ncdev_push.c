/* ncdev_push: pushes one policy file to one netconf device with the
 * adapter's pipeline and exits -- the "weft process" of the crash test.
 *   ncdev_push POLICY.yaml DEVICE [--stop-after apply --marker FILE]
 * With --stop-after apply it stops after the confirmed commit, writes
 * FILE and waits (up to 60 s) to be killed: nothing is ever confirmed, so
 * the device must roll back by itself when the confirm timeout runs out.
 * Exit 0 on success, 1 on failure (the error on stderr). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adapter.h"
#include "ncdev_adapter.h"
#include "ncit.h"
#include "testsupport.h"

int main(int argc, char **argv)
{
	const char *stop = NULL, *marker = NULL;
	if (argc < 3) {
		fprintf(stderr,
		        "usage: ncdev_push POLICY DEVICE [--stop-after apply --marker FILE]\n");
		return 2;
	}
	for (int i = 3; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--stop-after"))
			stop = argv[i + 1];
		else if (!strcmp(argv[i], "--marker"))
			marker = argv[i + 1];
	}
	char *yaml = ts_read_file(argv[1], NULL);
	char msg[1024] = "";
	weft_snapshot *snap = yaml ? ncit_compile(yaml, 1, msg, sizeof(msg)) : NULL;
	const weft_resource *dev = snap ? ncit_device(snap, argv[2]) : NULL;
	if (!dev) {
		fprintf(stderr, "ncdev_push: %s: %s\n", argv[1], msg[0] ? msg : "no such device");
		return 1;
	}
	void *session = NULL;
	weft_err err = {0};
	size_t n_ops = 0;
	int rc = ncit_push(&session, snap, dev, stop, &n_ops, NULL, &err);
	if (rc) {
		fprintf(stderr, "ncdev_push: %s\n", err.msg);
		return 1;
	}
	printf("ncdev_push: %zu ops %s\n", n_ops, stop ? "applied, not confirmed" : "confirmed");
	fflush(stdout);
	if (stop && marker) {
		ts_write_file(marker, "applied\n");
		sleep(60); /* killed by the test long before */
	}
	ncit_adapter()->ops->close(ncit_adapter()->ctx, session);
	weft_snapshot_unref(snap);
	free(yaml);
	return 0;
}
