/* consulsim: small helpers: clocks and Go's duration syntax ("10s",
 * "1m30s", "1.5h", "250ms"), which Consul uses for ?wait= and check TTLs. */
#include "consulsim.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

long long cs_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double unit_ms(const char **p)
{
	static const struct {
		const char *name;
		double ms;
	} units[] = {{"ns", 1e-6}, {"us", 1e-3}, {"\xc2\xb5s", 1e-3}, {"ms", 1},
	             {"s", 1000},  {"m", 60000}, {"h", 3600000}};
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		size_t len = strlen(units[i].name);

		/* "m" must not eat the "m" of "ms" */
		if (!strncmp(*p, units[i].name, len) &&
		    !(len == 1 && **p == 'm' && (*p)[1] == 's')) {
			*p += len;
			return units[i].ms;
		}
	}
	return -1;
}

int cs_parse_duration(const char *s, long long *ms)
{
	double total = 0;
	const char *p = s;

	if (!s || !*s)
		return -1;
	if (!strcmp(s, "0")) {
		*ms = 0;
		return 0;
	}
	while (*p) {
		char *end;
		double v, u;

		if (!((*p >= '0' && *p <= '9') || *p == '.'))
			return -1;
		v = strtod(p, &end);
		if (end == p)
			return -1;
		p = end;
		u = unit_ms(&p);
		if (u < 0)
			return -1;
		total += v * u;
	}
	if (total > 9.2e15)
		return -1;
	*ms = (long long)total;
	return 0;
}
