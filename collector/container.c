/* See container.h. Everything here describes the crash; nothing here
 * decides who may read it. The cgroup path and the hostname are the
 * crashing side's claims (docs/spool.md lists what each may influence);
 * the runtimes' state files are trusted only when root owns them and
 * their directories. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <json-c/json.h>

#include "collector/container.h"
#include "collector/container_state.h"
#include "collector/mountinfo.h"
#include "collector/procinfo.h"
#include "collector/readfile.h"
#include "common/cleanup.h"
#include "common/json_util.h"

#define STATE_MAX (4U << 20)
#define MOUNTINFO_MAX (4U << 20)
#define MAX_CONTAINERD_NAMESPACES 64

CW_DEFINE_CLEANUP(json_tokener *, json_tokener_free)

void cw_container_info_free(struct cw_container_info *ci)
{
	free(ci->name);
	free(ci->pod_name);
	free(ci->pod_namespace);
	free(ci->image);
	free(ci->exe_in_container);
	free(ci->exe_on_host);
	memset(ci, 0, sizeof(*ci));
}

static bool trusted(const struct stat *st)
{
	return st->st_uid == 0 && !(st->st_mode & (S_IWGRP | S_IWOTH));
}

/* Opens the directory rel (relative, '/'-separated) below dirfd, one
 * component at a time, never through a symlink, each root's. */
static int open_trusted_dir(int dirfd, const char *rel)
{
	_cleanup_free_ char *copy = strdup(rel);
	char *save = NULL;
	int fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);

	if (!copy || fd < 0) {
		if (fd >= 0)
			close(fd);
		return -ENOMEM;
	}
	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		struct stat st;
		int next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		if (next < 0)
			return -errno;
		if (fstat(next, &st) < 0 || !trusted(&st)) {
			close(next);
			return -EPERM;
		}
		fd = next;
	}
	return fd;
}

/* dir/name's contents (at most STATE_MAX) when both are root's. */
static int read_trusted_file(int root_fd, const char *dir, const char *name, char **buf, size_t *len)
{
	_cleanup_close_ int dfd = open_trusted_dir(root_fd, dir);
	struct stat st;

	if (dfd < 0)
		return dfd;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || !trusted(&st))
		return -EPERM;
	return cw_read_file_at(dfd, name, STATE_MAX, buf, len);
}

/* dir/name as JSON when both are root's. */
static int read_trusted_json(int root_fd, const char *dir, const char *name, json_object **out)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r = read_trusted_file(root_fd, dir, name, &buf, &len);
	if (r < 0)
		return r;
	_cleanup_(json_tokener_freep) json_tokener *tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	*out = json_tokener_parse_ex(tok, buf, (int)len);
	if (*out && json_object_is_type(*out, json_type_object))
		return 0;
	json_object_put(*out);
	*out = NULL;
	return -EBADMSG;
}

static const char *get_string(json_object *o, const char *key)
{
	json_object *v;
	return o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v) : NULL;
}

static int set_dup(char **dst, const char *s)
{
	if (*dst || !s || !*s)
		return 0;
	*dst = strdup(s);
	return *dst ? 0 : -ENOMEM;
}

/* The Kubernetes labels or annotations the runtimes copy from the pod. */
static int from_annotations(struct cw_container_info *ci, json_object *a)
{
	static const char *const pod_name[] = { "io.kubernetes.cri.sandbox-name", "io.kubernetes.pod.name" };
	static const char *const pod_ns[] = { "io.kubernetes.cri.sandbox-namespace", "io.kubernetes.pod.namespace" };
	static const char *const name[] = { "io.kubernetes.cri.container-name", "io.kubernetes.container.name",
					    "nerdctl/name" };
	static const char *const image[] = { "io.kubernetes.cri.image-name", "io.kubernetes.cri-o.ImageName" };
	int r = 0;

	if (!a || !json_object_is_type(a, json_type_object))
		return 0;
	for (size_t i = 0; r == 0 && i < 2; i++) {
		const char *s = get_string(a, pod_name[i]);
		if (s && !ci->pod_name) {
			r = set_dup(&ci->pod_name, s);
			ci->pod_name_source = "runtime-state";
		}
	}
	for (size_t i = 0; r == 0 && i < 2; i++)
		r = set_dup(&ci->pod_namespace, get_string(a, pod_ns[i]));
	for (size_t i = 0; r == 0 && i < 3; i++)
		r = set_dup(&ci->name, get_string(a, name[i]));
	for (size_t i = 0; r == 0 && i < 2; i++)
		r = set_dup(&ci->image, get_string(a, image[i]));
	return r;
}

static int try_oci_bundle(int root_fd, const char *dir, const char *runtime, struct cw_container_info *ci)
{
	_cleanup_json_ json_object *o = NULL;
	json_object *a = NULL;
	int r = read_trusted_json(root_fd, dir, "config.json", &o);
	if (r < 0)
		return r;
	ci->runtime_state = runtime;
	if (!ci->cg.runtime)
		ci->cg.runtime = runtime;
	json_object_object_get_ex(o, "annotations", &a);
	return from_annotations(ci, a);
}

static int try_containerd(int root_fd, struct cw_container_info *ci)
{
	static const char tasks[] = "run/containerd/io.containerd.runtime.v2.task";
	_cleanup_close_ int fd = open_trusted_dir(root_fd, tasks);
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	unsigned n = 0;

	if (fd < 0)
		return fd;
	d = fdopendir(fd);
	if (!d)
		return -errno;
	fd = -1; /* owned by d */
	while ((de = readdir(d)) && n++ < MAX_CONTAINERD_NAMESPACES) {
		char dir[512];
		if (de->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "%s/%s/%s", tasks, de->d_name, ci->cg.id);
		int r = try_oci_bundle(root_fd, dir, "containerd", ci);
		if (r != -ENOENT && r != -EPERM && r != -ENOTDIR && r != -EBADMSG)
			return r;
	}
	return -ENOENT;
}

static int try_docker(int root_fd, struct cw_container_info *ci)
{
	_cleanup_json_ json_object *o = NULL;
	json_object *cfg = NULL, *labels = NULL;
	char dir[256];
	int r;

	snprintf(dir, sizeof(dir), "var/lib/docker/containers/%s", ci->cg.id);
	r = read_trusted_json(root_fd, dir, "config.v2.json", &o);
	if (r < 0)
		return r;
	ci->runtime_state = "docker";
	if (!ci->cg.runtime)
		ci->cg.runtime = "docker";
	json_object_object_get_ex(o, "Config", &cfg);
	if (cfg && json_object_object_get_ex(cfg, "Labels", &labels) && (r = from_annotations(ci, labels)) < 0)
		return r;
	const char *name = get_string(o, "Name");
	if (name && name[0] == '/')
		name++;
	if ((r = set_dup(&ci->name, name)) < 0)
		return r;
	return set_dup(&ci->image, get_string(cfg, "Image"));
}

static int take(char **dst, char *s)
{
	if (*dst || !s)
		free(s);
	else
		*dst = s;
	return 0;
}

/* containers/storage's list of containers (podman; CRI-O too): the
 * container's name and its image's, when the OCI bundle did not say. */
static int try_storage(int root_fd, const char *storage, const char *runtime, struct cw_container_info *ci)
{
	_cleanup_free_ char *buf = NULL;
	char dir[256], *name = NULL, *image = NULL;
	size_t len;
	snprintf(dir, sizeof(dir), "%s/overlay-containers", storage);
	int r = read_trusted_file(root_fd, dir, "containers.json", &buf, &len);
	if (r < 0)
		return r;
	r = cw_storage_containers_parse(buf, len, ci->cg.id, &name, &image);
	if (r < 0)
		return r;
	ci->runtime_state = ci->runtime_state ? ci->runtime_state : runtime;
	if (!ci->cg.runtime)
		ci->cg.runtime = runtime;
	take(&ci->name, name);
	return take(&ci->image, image);
}

/* systemd-machined's record of a machine (run/systemd/machines/NAME): the
 * runtime that registered it and its root directory as the image. */
static int try_machined(int root_fd, struct cw_container_info *ci)
{
	_cleanup_free_ char *buf = NULL, *class = NULL, *service = NULL, *root = NULL;
	char machine[CW_CONTAINER_ID_MAX + 1];
	size_t len;
	if (cw_unit_unescape(ci->cg.id, machine, sizeof(machine)) < 0)
		return -ENOENT;
	int r = read_trusted_file(root_fd, "run/systemd/machines", machine, &buf, &len);
	if (r < 0)
		return r;
	if ((r = cw_keyfile_get(buf, len, "CLASS", &class)) == -ENOMEM)
		return r;
	if (!class || strcmp(class, "container"))
		return -ENOENT; /* a VM's process on the host is not in a container */
	if ((r = cw_keyfile_get(buf, len, "SERVICE", &service)) == -ENOMEM ||
	    (r = cw_keyfile_get(buf, len, "ROOT", &root)) == -ENOMEM)
		return r;
	ci->runtime_state = "machined";
	if (!ci->cg.runtime)
		ci->cg.runtime = service && !strcmp(service, "systemd-nspawn") ? "systemd-nspawn" :
				 service && !strcmp(service, "libvirt-lxc") ? "libvirt-lxc" : "machined";
	if ((r = set_dup(&ci->name, machine)) < 0)
		return r;
	/* --image= is mounted on a temporary directory: its path names nothing */
	if (root && root[0] == '/' && strncmp(root, "/tmp/", 5))
		return set_dup(&ci->image, root);
	return 0;
}

/* LXC's container config (var/lib/lxc/NAME/config): the root file system
 * (lxc.rootfs.path, "dir:/var/lib/lxc/NAME/rootfs" or a block device) as
 * the image, when nothing names a template image. */
static int try_lxc(int root_fd, struct cw_container_info *ci)
{
	_cleanup_free_ char *buf = NULL, *rootfs = NULL;
	char dir[256];
	size_t len;
	if (ci->cg.id[0] == '.')
		return -ENOENT;
	snprintf(dir, sizeof(dir), "var/lib/lxc/%s", ci->cg.id);
	int r = read_trusted_file(root_fd, dir, "config", &buf, &len);
	if (r < 0)
		return r;
	if ((r = cw_keyfile_get(buf, len, "lxc.rootfs.path", &rootfs)) == -ENOENT)
		r = cw_keyfile_get(buf, len, "lxc.rootfs", &rootfs); /* LXC 2 */
	if (r == -ENOMEM)
		return r;
	ci->runtime_state = "lxc";
	if ((r = set_dup(&ci->name, ci->cg.id)) < 0)
		return r;
	return rootfs ? set_dup(&ci->image, rootfs) : 0;
}

int cw_container_runtime_state(int root_fd, struct cw_container_info *ci)
{
	const char *rt = ci->cg.runtime;
	char dir[256];
	int r = -ENOENT;

	if (!ci->cg.id[0] || !strcmp(ci->cg.id, ".") || strchr(ci->cg.id, '/'))
		return -ENOENT;
	if (!rt || !strcmp(rt, "docker"))
		r = try_docker(root_fd, ci);
	if (r == -ENOMEM || r == 0)
		return r;
	if (!rt || !strcmp(rt, "containerd"))
		r = try_containerd(root_fd, ci);
	if (r == -ENOMEM || r == 0)
		return r;
	if (!rt || !strcmp(rt, "cri-o") || !strcmp(rt, "podman")) {
		static const char *const roots[] = { "run/containers/storage", "var/lib/containers/storage" };
		for (size_t i = 0; i < 2; i++) {
			snprintf(dir, sizeof(dir), "%s/overlay-containers/%s/userdata", roots[i], ci->cg.id);
			r = try_oci_bundle(root_fd, dir, rt ? rt : "cri-o", ci);
			if (r == -ENOMEM)
				return r;
			if (r == 0 && ci->name && ci->image)
				return 0;
			/* podman's bundle names neither: containers/storage's list does */
			int s = try_storage(root_fd, roots[i], rt ? rt : "podman", ci);
			if (s == -ENOMEM || s == 0 || r == 0)
				return s == -ENOMEM ? s : 0;
		}
	}
	if (!rt || !strcmp(rt, "systemd-nspawn")) {
		r = try_machined(root_fd, ci);
		if (r == -ENOMEM || r == 0)
			return r;
	}
	if (rt && !strcmp(rt, "lxc")) {
		r = try_lxc(root_fd, ci);
		if (r == -ENOMEM || r == 0)
			return r;
	}
	return r < 0 ? -ENOENT : r;
}

static char *readlink_dup(int dirfd, const char *name)
{
	char buf[4096];
	ssize_t n = readlinkat(dirfd, name, buf, sizeof(buf) - 1);
	if (n <= 0)
		return NULL;
	buf[n] = 0;
	return strdup(buf);
}

/* The executable inside the container: /proc/PID/exe as seen from here,
 * less the process's root when that root is reachable from ours (a
 * chroot); as is when the process pivoted its root (then the kernel shows
 * the path from that root already). On the host: the path as shown, or
 * one found through the two mount tables, only when stat() proves it is
 * the very file (device and inode of the open executable). */
static int exe_paths(struct cw_procinfo *p, int proc_fd, struct cw_container_info *ci)
{
	_cleanup_free_ char *root = readlink_dup(proc_fd, "root");
	_cleanup_free_ char *inner = NULL, *outer = NULL;
	struct stat exe, st;
	size_t il, ol;

	if (!p->exe || p->exe[0] != '/' || p->exe_fd < 0 || fstat(p->exe_fd, &exe) < 0)
		return 0;
	size_t rl = root ? strlen(root) : 0;
	if (root && rl > 1 && !strncmp(p->exe, root, rl) && p->exe[rl] == '/')
		ci->exe_in_container = strdup(p->exe + rl);
	else
		ci->exe_in_container = strdup(p->exe);
	if (!ci->exe_in_container)
		return -ENOMEM;
	if (fstatat(AT_FDCWD, p->exe, &st, AT_NO_AUTOMOUNT) == 0 && st.st_dev == exe.st_dev && st.st_ino == exe.st_ino) {
		ci->exe_on_host = strdup(p->exe);
		return ci->exe_on_host ? 0 : -ENOMEM;
	}
	if (cw_read_file_at(proc_fd, "mountinfo", MOUNTINFO_MAX, &inner, &il) < 0 ||
	    cw_read_file_at(AT_FDCWD, "/proc/self/mountinfo", MOUNTINFO_MAX, &outer, &ol) < 0)
		return 0;
	int r = cw_mountinfo_host_path(inner, il, outer, ol, ci->exe_in_container, exe.st_dev, exe.st_ino,
				       &ci->exe_on_host);
	return r == -ENOMEM ? r : 0;
}

static const char *ns_of(const struct cw_procinfo *p, const char *name)
{
	for (size_t i = 0; i < CW_PROCINFO_NS_COUNT; i++)
		if (!strcmp(cw_procinfo_ns_names[i], name))
			return p->ns[i];
	return NULL;
}

static void note_unknown(struct cw_container_info *ci, const char *what)
{
	size_t used = strlen(ci->unknown);
	snprintf(ci->unknown + used, sizeof(ci->unknown) - used, "%s%s", used ? "; " : "", what);
}

int cw_container_read(const struct cw_crash_info *c, struct cw_procinfo *p, int proc_fd, int state_root_fd,
		      const char *cgroup, size_t len)
{
	struct cw_container_info *ci = &p->container_info;
	int r;

	ci->present = cgroup && cw_cgroup_container_from_file(cgroup, len, &ci->cg) == 1;
	if (!ci->present && !p->container)
		return 0;
	if (ci->present && state_root_fd >= 0 && (r = cw_container_runtime_state(state_root_fd, ci)) == -ENOMEM)
		return r;
	if ((r = exe_paths(p, proc_fd, ci)) < 0)
		return r;

	if (ci->cg.kubernetes && !ci->pod_name) {
		/* The kubelet makes the pod's hostname its name, unless the pod
		 * shares the node's uts namespace (hostNetwork). */
		_cleanup_free_ char *host_uts = readlink_dup(AT_FDCWD, "/proc/1/ns/uts");
		if (!host_uts) /* a /proc that hides PID 1's: ours, the kernel helper's, is the host's */
			host_uts = readlink_dup(AT_FDCWD, "/proc/self/ns/uts");
		const char *uts = ns_of(p, "uts");
		if (c->hostname[0] && uts && host_uts && strcmp(uts, host_uts)) {
			ci->pod_name = strdup(c->hostname);
			if (!ci->pod_name)
				return -ENOMEM;
			ci->pod_name_source = "hostname";
		} else {
			note_unknown(ci, c->hostname[0] ? "pod name: the pod shares the node's uts namespace (hostNetwork)"
							: "pod name: the kernel gave no hostname");
		}
	}
	if (ci->cg.kubernetes && !ci->pod_namespace)
		note_unknown(ci, "pod namespace: no runtime state on this host names it (no API server is asked)");
	if (ci->present && !ci->cg.runtime)
		note_unknown(ci, "runtime: the cgroup path does not name it and no runtime state was found");
	if (ci->cg.id[0] && !ci->image)
		note_unknown(ci, "image: not in a runtime state file on this host");
	if (!ci->present)
		note_unknown(ci, "runtime, container id: the cgroup path names no container runtime");
	if (ci->exe_in_container && !ci->exe_on_host)
		note_unknown(ci, "exe_on_host: the executable is not reachable from the host's mount namespace");
	return 0;
}
