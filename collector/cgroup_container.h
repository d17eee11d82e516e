/* Which container and Kubernetes pod a cgroup path belongs to, from the
 * names container runtimes and the kubelet give their cgroups (systemd and
 * cgroupfs drivers, cgroup v1 and v2). The path is hostile: inside a
 * delegated subtree (user@UID.service) its owner names the cgroups. */
#ifndef CW_COLLECTOR_CGROUP_CONTAINER_H
#define CW_COLLECTOR_CGROUP_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>

#define CW_CONTAINER_ID_MAX 128
#define CW_POD_UID_LEN 36

struct cw_cgroup_container {
	const char *runtime;                 /* "docker", "containerd", "cri-o", "podman",
					      * "systemd-nspawn", "lxc"; NULL unknown (static) */
	char id[CW_CONTAINER_ID_MAX + 1];    /* container id (hex) or machine/container name; "" none */
	bool kubernetes;                     /* below a kubepods cgroup */
	char pod_uid[CW_POD_UID_LEN + 1];    /* "" unknown */
	const char *qos_class;               /* "Guaranteed", "Burstable", "BestEffort", NULL (static) */
	bool delegated;                      /* below user@UID.service: named by that user */
};

/* Parses one cgroup path (len bytes, need not be NUL-terminated). Returns
 * 1 when it names a container or a pod, 0 when not (out is then zeroed). */
int cw_cgroup_container_parse(const char *path, size_t len, struct cw_cgroup_container *out);

/* Parses /proc/PID/cgroup (len bytes): the unified ("0::") line first, then
 * the cgroup v1 lines in order; the first that names a container or a pod
 * wins. Returns 1 or 0 like cw_cgroup_container_parse(). */
int cw_cgroup_container_from_file(const char *buf, size_t len, struct cw_cgroup_container *out);

#endif
