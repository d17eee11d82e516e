/* The container columns and keys (crash_container.h): no SQLite, no
 * json-c, so that the spool record parser (and its fuzzer) can share it. */
#include "config.h"
#include "storage/crash_container.h"

#include <stddef.h>

#define F(col, key, label, member) { col, key, label, offsetof(struct cw_crash_container, member) }
const struct cw_crash_container_field cw_crash_container_fields[CW_CRASH_CONTAINER_NFIELDS] = {
	F("container_runtime", "runtime", "Runtime", runtime),
	F("container_id", "id", "Container ID", id),
	F("container_name", "name", "Container name", name),
	F("container_image", "image", "Image", image),
	F("pod_uid", "pod_uid", "Pod UID", pod_uid),
	F("pod_name", "pod_name", "Pod", pod_name),
	F("pod_namespace", "pod_namespace", "Namespace", pod_namespace),
	F("pod_qos_class", "qos_class", "QoS class", qos_class),
	F("exe_in_container", "exe_in_container", "Exe (container)", exe_in_container),
	F("exe_on_host", "exe_on_host", "Exe (host)", exe_on_host),
};
#undef F

int cw_crash_container_any(const struct cw_crash_container *k)
{
	for (size_t i = 0; i < CW_CRASH_CONTAINER_NFIELDS; i++)
		if (cw_crash_container_get(k, i))
			return 1;
	return 0;
}
