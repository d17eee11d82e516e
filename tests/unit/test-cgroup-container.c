/* collector/cgroup_container.c over the cgroup paths real runtimes and
 * the kubelet make (systemd and cgroupfs drivers, cgroup v1 and v2), and
 * over paths that only look like them. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "collector/cgroup_container.h"

#define ID64 "4c9f1d2e3b5a69788776655443322110aabbccddeeff00112233445566778899"
#define UID "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
#define UID_ "0a1b2c3d_4e5f_4a6b_8c7d_9e0f1a2b3c4d"

struct shape {
	const char *path;
	const char *runtime; /* NULL: unknown */
	const char *id;      /* "" none */
	int kubernetes;
	const char *pod_uid; /* "" none */
	const char *qos;     /* NULL none */
	int delegated;
};

static const struct shape shapes[] = {
	/* Kubernetes, systemd driver (cgroup v2 or v1 name=systemd) */
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_ ".slice/cri-containerd-" ID64 ".scope",
	  "containerd", ID64, 1, UID, "Burstable", 0 },
	{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_ ".slice/crio-" ID64 ".scope",
	  "cri-o", ID64, 1, UID, "BestEffort", 0 },
	{ "/kubepods.slice/kubepods-pod" UID_ ".slice/docker-" ID64 ".scope", "docker", ID64, 1, UID, "Guaranteed", 0 },
	{ "/kubepods.slice/kubepods-pod" UID_ ".slice/cri-containerd-" ID64 ".scope/init.scope",
	  "containerd", ID64, 1, UID, "Guaranteed", 0 },
	/* kind / kubeadm with a kubelet cgroup root */
	{ "/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-burstable.slice/kubelet-kubepods-burstable-pod" UID_
	  ".slice/cri-containerd-" ID64 ".scope", "containerd", ID64, 1, UID, "Burstable", 0 },
	/* CRI-O's conmon: the pod, not a container */
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_ ".slice/crio-conmon-" ID64 ".scope",
	  NULL, "", 1, UID, "Burstable", 0 },
	/* the pod sandbox level only */
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_ ".slice", NULL, "", 1, UID, "Burstable", 0 },
	{ "/kubepods.slice", NULL, "", 1, "", NULL, 0 },
	/* Kubernetes, cgroupfs driver */
	{ "/kubepods/burstable/pod" UID "/" ID64, NULL, ID64, 1, UID, "Burstable", 0 },
	{ "/kubepods/besteffort/pod" UID "/" ID64, NULL, ID64, 1, UID, "BestEffort", 0 },
	{ "/kubepods/pod" UID "/" ID64, NULL, ID64, 1, UID, "Guaranteed", 0 },
	{ "/kubepods/burstable/pod" UID "/crio-" ID64, "cri-o", ID64, 1, UID, "Burstable", 0 },
	{ "/kubepods/besteffort/pod" UID "/docker-" ID64 ".scope", "docker", ID64, 1, UID, "BestEffort", 0 },
	/* docker */
	{ "/system.slice/docker-" ID64 ".scope", "docker", ID64, 0, "", NULL, 0 },
	{ "/docker/" ID64, "docker", ID64, 0, "", NULL, 0 },
	{ "/system.slice/docker.service", NULL, "", 0, "", NULL, 0 },
	/* podman, root and rootless, systemd and cgroupfs */
	{ "/machine.slice/libpod-" ID64 ".scope/container", "podman", ID64, 0, "", NULL, 0 },
	{ "/machine.slice/libpod-conmon-" ID64 ".scope", NULL, "", 0, "", NULL, 0 },
	{ "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID64 ".scope", "podman", ID64, 0, "", NULL, 1 },
	{ "/libpod_parent/libpod-" ID64, "podman", ID64, 0, "", NULL, 0 },
	/* nerdctl */
	{ "/system.slice/nerdctl-" ID64 ".scope", "containerd", ID64, 0, "", NULL, 0 },
	/* systemd-nspawn */
	{ "/machine.slice/systemd-nspawn@web1.service/payload", "systemd-nspawn", "web1", 0, "", NULL, 0 },
	{ "/machine.slice/systemd-nspawn@deb\\x2dtest.service", "systemd-nspawn", "deb\\x2dtest", 0, "", NULL, 0 },
	/* a machine registered with machined (systemd-nspawn run by hand): its runtime from machined */
	{ "/machine.slice/machine-deb\\x2dtest.scope/payload/system.slice/a.service", NULL, "deb\\x2dtest", 0, "", NULL, 0 },
	{ "/machine.slice/machine-qemu\\x2d1\\x2dvm1.scope/emulator", NULL, "", 0, "", NULL, 0 }, /* a VM's qemu */
	{ "/machine.slice/machine-.scope", NULL, "", 0, "", NULL, 0 },
	/* LXC / LXD */
	{ "/lxc.payload.c1/system.slice/nginx.service", "lxc", "c1", 0, "", NULL, 0 },
	{ "/lxc.payload/c2", "lxc", "c2", 0, "", NULL, 0 },
	{ "/lxc/c3", "lxc", "c3", 0, "", NULL, 0 },
	{ "/lxc.monitor.c1", NULL, "", 0, "", NULL, 0 },
	/* docker in an LXC container: the innermost wins */
	{ "/lxc.payload.c1/docker/" ID64, "docker", ID64, 0, "", NULL, 0 },
	/* not containers */
	{ "/", NULL, "", 0, "", NULL, 0 },
	{ "", NULL, "", 0, "", NULL, 0 },
	{ "/system.slice/api.service", NULL, "", 0, "", NULL, 0 },
	{ "/user.slice/user-1000.slice/session-2.scope", NULL, "", 0, "", NULL, 0 },
	{ "/system.slice/docker-notanid.scope", NULL, "", 0, "", NULL, 0 },
	{ "/system.slice/docker-ABCDEF0123456789.scope", NULL, "", 0, "", NULL, 0 }, /* upper case: not an id */
	{ "/kubepods/burstable/podnot-a-uid/" ID64, NULL, "", 1, "", "Burstable", 0 },
	{ "/docker", NULL, "", 0, "", NULL, 0 },
	/* a user naming cgroups in their own subtree: parsed, marked delegated */
	{ "/user.slice/user-1000.slice/user@1000.service/app.slice/docker-" ID64 ".scope", "docker", ID64, 0, "", NULL, 1 },
};

static void check_shape(const struct shape *s)
{
	struct cw_cgroup_container c;
	int r = cw_cgroup_container_parse(s->path, strlen(s->path), &c);
	bool any = s->id[0] || s->kubernetes;
	if (r != (any ? 1 : 0))
		fail_msg("%s: returned %d", s->path, r);
	if ((s->runtime == NULL) != (c.runtime == NULL) || (s->runtime && strcmp(s->runtime, c.runtime)))
		fail_msg("%s: runtime %s, expected %s", s->path, c.runtime ? c.runtime : "(null)",
			 s->runtime ? s->runtime : "(null)");
	if (strcmp(c.id, s->id))
		fail_msg("%s: id '%s', expected '%s'", s->path, c.id, s->id);
	if (c.kubernetes != (s->kubernetes != 0))
		fail_msg("%s: kubernetes %d", s->path, c.kubernetes);
	if (strcmp(c.pod_uid, s->pod_uid))
		fail_msg("%s: pod uid '%s', expected '%s'", s->path, c.pod_uid, s->pod_uid);
	if ((s->qos == NULL) != (c.qos_class == NULL) || (s->qos && strcmp(s->qos, c.qos_class)))
		fail_msg("%s: qos %s, expected %s", s->path, c.qos_class ? c.qos_class : "(null)",
			 s->qos ? s->qos : "(null)");
	if (any && c.delegated != (s->delegated != 0))
		fail_msg("%s: delegated %d", s->path, c.delegated);
}

static void test_shapes(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
		check_shape(&shapes[i]);
}

/* Whole /proc/PID/cgroup files: v2 only, v1 (every controller), hybrid. */
static void test_files(void **state)
{
	(void)state;
	struct cw_cgroup_container c;
	static const char v2[] = "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
				 ".slice/cri-containerd-" ID64 ".scope\n";
	assert_int_equal(cw_cgroup_container_from_file(v2, strlen(v2), &c), 1);
	assert_string_equal(c.runtime, "containerd");
	assert_string_equal(c.pod_uid, UID);

	static const char v1[] = "12:pids:/kubepods/besteffort/pod" UID "/" ID64 "\n"
				 "11:cpu,cpuacct:/kubepods/besteffort/pod" UID "/" ID64 "\n"
				 "1:name=systemd:/kubepods/besteffort/pod" UID "/" ID64 "\n";
	assert_int_equal(cw_cgroup_container_from_file(v1, strlen(v1), &c), 1);
	assert_string_equal(c.qos_class, "BestEffort");
	assert_string_equal(c.id, ID64);

	/* hybrid: the unified line says nothing, a v1 line does */
	static const char hybrid[] = "9:name=systemd:/\n4:memory:/docker/" ID64 "\n0::/\n";
	assert_int_equal(cw_cgroup_container_from_file(hybrid, strlen(hybrid), &c), 1);
	assert_string_equal(c.runtime, "docker");

	/* the unified line wins over v1 lines */
	static const char both[] = "4:memory:/docker/" ID64 "\n0::/system.slice/crio-" ID64 ".scope\n";
	assert_int_equal(cw_cgroup_container_from_file(both, strlen(both), &c), 1);
	assert_string_equal(c.runtime, "cri-o");

	static const char none[] = "0::/system.slice/sshd.service\n";
	assert_int_equal(cw_cgroup_container_from_file(none, strlen(none), &c), 0);
	assert_int_equal(cw_cgroup_container_from_file("garbage", 7, &c), 0);
	assert_int_equal(cw_cgroup_container_from_file("", 0, &c), 0);
}

/* Bounds: no NUL terminator, a path cut inside an id, long components,
 * more components than the parser keeps. */
static void test_bounds(void **state)
{
	(void)state;
	struct cw_cgroup_container c;
	char buf[8192];
	static const char p[] = "/system.slice/docker-" ID64 ".scope";
	memcpy(buf, p, sizeof(p) - 1);
	memset(buf + sizeof(p) - 1, 'x', 16); /* no NUL right after */
	assert_int_equal(cw_cgroup_container_parse(buf, sizeof(p) - 1, &c), 1);
	assert_string_equal(c.id, ID64);
	assert_int_equal(cw_cgroup_container_parse(p, sizeof(p) - 1 - 10, &c), 0); /* cut */

	memset(buf, 'a', sizeof(buf));
	buf[0] = '/';
	assert_int_equal(cw_cgroup_container_parse(buf, sizeof(buf), &c), 0);
	size_t o = 0;
	for (int i = 0; i < 200 && o + 4 < sizeof(buf); i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "/x");
	assert_int_equal(cw_cgroup_container_parse(buf, o, &c), 0);
	/* an id of 129 hex digits: too long */
	char longid[200] = "/docker/";
	memset(longid + 8, 'a', 129);
	longid[8 + 129] = 0;
	assert_int_equal(cw_cgroup_container_parse(longid, strlen(longid), &c), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shapes),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
