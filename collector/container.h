/* What the collector records about a crashing process's container and
 * Kubernetes pod (docs/spool.md, "container_info"): the cgroup path's
 * runtime, container id, pod UID and QoS class; the pod's name and
 * namespace and the image where the host knows them without an API server;
 * the executable's path inside the container and on the host. */
#ifndef CW_COLLECTOR_CONTAINER_H
#define CW_COLLECTOR_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>

#include "collector/cgroup_container.h"

struct cw_crash_info;
struct cw_procinfo;

struct cw_container_info {
	bool present;                  /* the cgroup names a container or pod */
	struct cw_cgroup_container cg;
	const char *runtime_state;     /* the state file used ("containerd", "cri-o", "docker"), or NULL */
	char *name;                    /* the container's name (runtime state), or NULL */
	char *pod_name;                /* NULL unknown */
	const char *pod_name_source;   /* "runtime-state", "hostname", NULL */
	char *pod_namespace;           /* NULL unknown */
	char *image;                   /* NULL unknown */
	char *exe_in_container;        /* the executable as the container sees it */
	char *exe_on_host;             /* a host path proven (dev, ino) to be that file, or NULL */
	char unknown[256];             /* what could not be known, and why ("" when all is known) */
};

void cw_container_info_free(struct cw_container_info *ci);

/* Fills p->container_info from the /proc/PID/cgroup text (len bytes),
 * proc_fd (the pidfd-verified /proc/PID), p's exe, exe_fd and namespaces,
 * c's hostname (%h, the process's own uts name) and, below state_root_fd
 * (the host's "/", or a test directory), the runtimes' state files.
 * Returns 0 or -ENOMEM; what cannot be read is left NULL. */
int cw_container_read(const struct cw_crash_info *c, struct cw_procinfo *p, int proc_fd, int state_root_fd,
		      const char *cgroup, size_t len);

/* The runtimes' state files, below root_fd: containerd's task bundle
 * (run/containerd/io.containerd.runtime.v2.task/NAMESPACE/ID/config.json),
 * CRI-O's and podman's (run|var/lib/containers/storage/overlay-containers/
 * ID/userdata/config.json) and docker's (var/lib/docker/containers/ID/
 * config.v2.json). Only files and directories owned by root and not
 * writable by others are read, never through a symlink, at most 4 MiB.
 * Sets runtime_state, name, pod name/namespace and image where found (and
 * cg.runtime when the cgroup path did not say). 0, -ENOENT, -ENOMEM. */
int cw_container_runtime_state(int root_fd, struct cw_container_info *ci);

#endif
