/* See cgroup_container.h. Shapes recognised (each component bounded, at
 * most MAX_COMPONENTS of them, nothing read past len):
 *   systemd driver: kubepods.slice/kubepods-burstable.slice/
 *     kubepods-burstable-pod<uid with _>.slice/cri-containerd-<id>.scope
 *     (also kubepods-pod<uid>.slice for Guaranteed, crio-<id>.scope,
 *     docker-<id>.scope, and kind's kubelet-kubepods-... prefixes)
 *   cgroupfs driver: kubepods/burstable/pod<uid>/<id>, kubepods/pod<uid>/<id>,
 *     .../pod<uid>/crio-<id>
 *   docker: system.slice/docker-<id>.scope, docker/<id>
 *   podman: machine.slice/libpod-<id>.scope[/container],
 *     user@UID.service/user.slice/libpod-<id>.scope, libpod_parent/libpod-<id>
 *   containerd without Kubernetes (nerdctl): nerdctl-<id>.scope
 *   systemd-nspawn: machine.slice/systemd-nspawn@<name>.service[/payload],
 *     machine.slice/machine-<name>.scope[/payload] (runtime unknown here:
 *     machined's state says; not libvirt's VMs, machine-qemu\x2d...)
 *   LXC: lxc.payload.<name>[/...], lxc.payload/<name>, lxc/<name>
 * conmon (crio-conmon-<id>.scope) and LXC's monitor (lxc.monitor.<name>) are
 * the runtimes' own processes, not containers. The innermost match wins
 * (a container inside a container). */
#include "config.h"

#include <string.h>

#include "collector/cgroup_container.h"

#define MAX_COMPONENTS 64
#define MAX_COMPONENT 255

struct comp {
	const char *s;
	size_t len;
};

static bool has_prefix(struct comp c, const char *p)
{
	size_t n = strlen(p);
	return c.len >= n && !memcmp(c.s, p, n);
}

static bool has_suffix(struct comp c, const char *p)
{
	size_t n = strlen(p);
	return c.len >= n && !memcmp(c.s + c.len - n, p, n);
}

static bool is_eq(struct comp c, const char *p)
{
	return c.len == strlen(p) && !memcmp(c.s, p, c.len);
}

static bool all_hex(const char *s, size_t len)
{
	if (len < 12 || len > CW_CONTAINER_ID_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* Machine and LXC container names (systemd escapes the rest as \xNN). */
static bool name_like(const char *s, size_t len)
{
	if (len == 0 || len > CW_CONTAINER_ID_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      ch == '-' || ch == '_' || ch == '.' || ch == '\\' || ch == ':'))
			return false;
	}
	return true;
}

static void set_id(struct cw_cgroup_container *o, const char *runtime, const char *s, size_t len)
{
	o->runtime = runtime;
	memcpy(o->id, s, len);
	o->id[len] = 0;
}

/* A pod UID as the kubelet writes it into a cgroup name: 36 characters,
 * the systemd driver with '_' for '-'. */
static bool set_pod_uid(struct cw_cgroup_container *o, const char *s, size_t len)
{
	if (len != CW_POD_UID_LEN)
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i] == '_' ? '-' : s[i];
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? ch != '-' : !((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
			return false;
		o->pod_uid[i] = ch;
	}
	o->pod_uid[len] = 0;
	return true;
}

/* "<prefix>-<hex id>.scope" for the runtimes that name scopes so. */
static bool runtime_scope(struct comp c, struct cw_cgroup_container *o)
{
	static const struct {
		const char *prefix, *runtime;
	} scopes[] = {
		{ "cri-containerd-", "containerd" },
		{ "crio-conmon-", NULL }, /* CRI-O's monitor: before "crio-" */
		{ "crio-", "cri-o" },
		{ "docker-", "docker" },
		{ "libpod-conmon-", NULL },
		{ "libpod-", "podman" },
		{ "nerdctl-", "containerd" },
	};
	if (!has_suffix(c, ".scope"))
		return false;
	for (size_t i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++) {
		if (!has_prefix(c, scopes[i].prefix))
			continue;
		size_t pl = strlen(scopes[i].prefix);
		const char *id = c.s + pl;
		size_t idl = c.len - pl - strlen(".scope");
		if (!scopes[i].runtime || !all_hex(id, idl))
			return false;
		set_id(o, scopes[i].runtime, id, idl);
		return true;
	}
	return false;
}

/* systemd driver: a ".slice" whose dash-separated words contain "kubepods",
 * then optionally "burstable"/"besteffort", then optionally "pod<uid>". */
static void kubepods_slice(struct comp c, struct cw_cgroup_container *o)
{
	size_t len = c.len - strlen(".slice");
	size_t i = 0;
	bool after_kubepods = false;

	while (i < len) {
		size_t j = i;
		while (j < len && c.s[j] != '-')
			j++;
		struct comp w = { c.s + i, j - i };
		if (is_eq(w, "kubepods")) {
			after_kubepods = true;
			o->kubernetes = true;
		} else if (after_kubepods && is_eq(w, "burstable")) {
			o->qos_class = "Burstable";
		} else if (after_kubepods && is_eq(w, "besteffort")) {
			o->qos_class = "BestEffort";
		} else if (after_kubepods && has_prefix(w, "pod") && set_pod_uid(o, w.s + 3, w.len - 3)) {
			if (!o->qos_class)
				o->qos_class = "Guaranteed";
		}
		i = j + 1;
	}
}

int cw_cgroup_container_parse(const char *path, size_t len, struct cw_cgroup_container *out)
{
	struct comp comps[MAX_COMPONENTS];
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < len && n < MAX_COMPONENTS;) {
		while (i < len && path[i] == '/')
			i++;
		size_t j = i;
		while (j < len && path[j] != '/' && path[j] != '\n' && path[j] != 0)
			j++;
		if (j > i && j - i <= MAX_COMPONENT)
			comps[n++] = (struct comp){ path + i, j - i };
		if (j < len && (path[j] == '\n' || path[j] == 0))
			break;
		i = j;
	}

	bool in_kubepods_fs = false, in_docker = false, in_lxc = false, in_libpod_parent = false;
	bool pod_seen = false, found = false;
	for (size_t k = 0; k < n; k++) {
		struct comp c = comps[k];
		struct cw_cgroup_container id = { 0 };
		if (has_prefix(c, "user@") && has_suffix(c, ".service"))
			out->delegated = true;
		if (has_suffix(c, ".slice") && memmem(c.s, c.len, "kubepods", 8)) {
			kubepods_slice(c, out);
			pod_seen = out->pod_uid[0] != 0;
			continue;
		}
		if (is_eq(c, "kubepods")) {
			in_kubepods_fs = out->kubernetes = true;
			continue;
		}
		if (in_kubepods_fs && !pod_seen) {
			if (is_eq(c, "burstable")) {
				out->qos_class = "Burstable";
				continue;
			}
			if (is_eq(c, "besteffort")) {
				out->qos_class = "BestEffort";
				continue;
			}
			if (has_prefix(c, "pod") && set_pod_uid(out, c.s + 3, c.len - 3)) {
				pod_seen = true;
				if (!out->qos_class)
					out->qos_class = "Guaranteed";
				continue;
			}
		}
		if (runtime_scope(c, &id)) {
			set_id(out, id.runtime, id.id, strlen(id.id));
			found = true;
		} else if (pod_seen && in_kubepods_fs && all_hex(c.s, c.len)) {
			set_id(out, NULL, c.s, c.len); /* cgroupfs driver: the runtime does not say */
			found = true;
		} else if (pod_seen && has_prefix(c, "crio-") && all_hex(c.s + 5, c.len - 5)) {
			set_id(out, "cri-o", c.s + 5, c.len - 5);
			found = true;
		} else if (in_docker && all_hex(c.s, c.len)) {
			set_id(out, "docker", c.s, c.len);
			found = true;
		} else if (in_libpod_parent && has_prefix(c, "libpod-") && all_hex(c.s + 7, c.len - 7)) {
			set_id(out, "podman", c.s + 7, c.len - 7);
			found = true;
		} else if (has_prefix(c, "systemd-nspawn@") && has_suffix(c, ".service") &&
			   name_like(c.s + 15, c.len - 15 - 8)) {
			set_id(out, "systemd-nspawn", c.s + 15, c.len - 15 - 8);
			found = true;
		} else if (has_prefix(c, "machine-") && has_suffix(c, ".scope") && !has_prefix(c, "machine-qemu\\x2d") &&
			   name_like(c.s + 8, c.len - 8 - 6)) {
			set_id(out, NULL, c.s + 8, c.len - 8 - 6);
			found = true;
		} else if (has_prefix(c, "lxc.payload.") && name_like(c.s + 12, c.len - 12)) {
			set_id(out, "lxc", c.s + 12, c.len - 12);
			found = true;
		} else if (in_lxc && name_like(c.s, c.len)) {
			set_id(out, "lxc", c.s, c.len);
			found = true;
		}
		/* the parent component, for the cgroupfs shapes */
		in_docker = is_eq(c, "docker");
		in_lxc = is_eq(c, "lxc") || is_eq(c, "lxc.payload");
		in_libpod_parent = is_eq(c, "libpod_parent");
	}
	if (!found && !out->kubernetes) {
		memset(out, 0, sizeof(*out));
		return 0;
	}
	return 1;
}

int cw_cgroup_container_from_file(const char *buf, size_t len, struct cw_cgroup_container *out)
{
	/* Two passes: the unified hierarchy's line, then every line. */
	for (int pass = 0; pass < 2; pass++) {
		size_t i = 0;
		for (unsigned guard = 0; i < len && guard < 4096; guard++) {
			const char *line = buf + i;
			const char *nl = memchr(line, '\n', len - i);
			size_t ll = nl ? (size_t)(nl - line) : len - i;
			i += ll + 1;
			/* "hierarchy-ID:controllers:path" */
			const char *c1 = memchr(line, ':', ll);
			const char *c2 = c1 ? memchr(c1 + 1, ':', ll - (size_t)(c1 + 1 - line)) : NULL;
			if (!c2)
				continue;
			bool unified = c1 - line == 1 && line[0] == '0' && c2 == c1 + 1;
			if (pass == 0 && !unified)
				continue;
			if (pass == 1 && unified)
				continue;
			if (cw_cgroup_container_parse(c2 + 1, ll - (size_t)(c2 + 1 - line), out) == 1)
				return 1;
		}
	}
	memset(out, 0, sizeof(*out));
	return 0;
}
