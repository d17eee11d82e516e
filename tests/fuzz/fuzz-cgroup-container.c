/* libFuzzer harness: container and pod recognition from a hostile
 * /proc/PID/cgroup (collector/cgroup_container.c), whole files and single
 * paths, and the mountinfo lines behind the container's host paths
 * (collector/mountinfo.c), never NUL-terminated. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collector/cgroup_container.h"
#include "collector/mountinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cw_cgroup_container c;
	/* an exact-size copy: ASan sees any read past the end */
	char *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	if (cw_cgroup_container_from_file(buf, size, &c) == 1 && strlen(c.id) > CW_CONTAINER_ID_MAX)
		abort();
	if (cw_cgroup_container_parse(buf, size, &c) == 1 && strlen(c.pod_uid) > CW_POD_UID_LEN)
		abort();
	static struct cw_mount m;
	size_t off = 0;
	int r;
	for (unsigned n = 0; n < 100000 && (r = cw_mountinfo_next(buf, size, &off, &m)) != 0; n++)
		if (r == 1 && (strnlen(m.root, sizeof(m.root)) >= sizeof(m.root) || m.root[0] != '/' ||
			       m.mount_point[0] != '/'))
			abort();
	free(buf);
	return 0;
}
