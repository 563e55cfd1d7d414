/* Relative paths of a policy (a file Device's options.directory): their
 * normal form, used by the decoder to refuse bad paths, by validation to
 * compare two Devices' directories, and by the file adapter before it
 * touches the disk (docs/policy.md, Device). */
#include <string.h>

#include "policy.h"

int weft_relpath_clean(const char *path, char *out, size_t cap)
{
	size_t n = 0;
	if (!path || !cap || path[0] == '/' || strchr(path, '\n'))
		return -1;
	for (const char *p = path; *p;) {
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == 2 && p[0] == '.' && p[1] == '.')
			return -1;
		if (len && !(len == 1 && p[0] == '.')) {
			if (n + (n ? 1 : 0) + len + 1 > cap)
				return -1;
			if (n)
				out[n++] = '/';
			memcpy(out + n, p, len);
			n += len;
		}
		p += len;
		while (*p == '/')
			p++;
	}
	if (!n)
		return -1; /* ".", "./", "": the root itself */
	out[n] = 0;
	return 0;
}

int weft_relpath_overlap(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t n = la < lb ? la : lb;
	if (strncmp(a, b, n))
		return 0;
	return la == lb || (la < lb ? b[la] == '/' : a[lb] == '/');
}
