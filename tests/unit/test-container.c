/* collector/container.c's runtime state files (containerd, CRI-O, docker,
 * podman's containers/storage list, machined's machines, LXC's config,
 * shaped like the real ones, below a test root; refused when not root's
 * or reached through a symlink) and collector/mountinfo.c's host paths. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <cmocka.h>

#include "collector/container.h"
#include "collector/container_state.h"
#include "collector/mountinfo.h"

#define ID64 "4c9f1d2e3b5a69788776655443322110aabbccddeeff00112233445566778899"

static char root[64];
static int root_fd = -1;

static void write_file(const char *rel, const char *text, mode_t mode)
{
	char cmd[1100], path[512];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
	assert_int_equal(system(cmd), 0);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/test-container.XXXXXX");
	if (!mkdtemp(root))
		return -1;
	chmod(root, 0755);
	root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return root_fd < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	close(root_fd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static void new_info(struct cw_container_info *ci, const char *runtime, const char *id)
{
	memset(ci, 0, sizeof(*ci));
	ci->present = true;
	ci->cg.runtime = runtime;
	snprintf(ci->cg.id, sizeof(ci->cg.id), "%s", id);
}

static void test_containerd(void **state)
{
	(void)state;
	struct cw_container_info ci;
	if (geteuid() != 0)
		skip();
	write_file("run/containerd/io.containerd.runtime.v2.task/k8s.io/" ID64 "/config.json",
		   "{\"ociVersion\":\"1.1.0\",\"process\":{\"args\":[\"/app\"]},\"annotations\":{"
		   "\"io.kubernetes.cri.container-type\":\"container\","
		   "\"io.kubernetes.cri.container-name\":\"api\","
		   "\"io.kubernetes.cri.image-name\":\"registry.example/api:1.4\","
		   "\"io.kubernetes.cri.sandbox-name\":\"api-7d9c-x2x4q\","
		   "\"io.kubernetes.cri.sandbox-namespace\":\"shop\"}}", 0644);
	new_info(&ci, NULL, ID64); /* the cgroupfs driver does not name the runtime */
	assert_int_equal(cw_container_runtime_state(root_fd, &ci), 0);
	assert_string_equal(ci.cg.runtime, "containerd");
	assert_string_equal(ci.runtime_state, "containerd");
	assert_string_equal(ci.name, "api");
	assert_string_equal(ci.image, "registry.example/api:1.4");
	assert_string_equal(ci.pod_name, "api-7d9c-x2x4q");
	assert_string_equal(ci.pod_name_source, "runtime-state");
	assert_string_equal(ci.pod_namespace, "shop");
	cw_container_info_free(&ci);
}

static void test_crio_docker(void **state)
{
	(void)state;
	struct cw_container_info ci;
	if (geteuid() != 0)
		skip();
	write_file("run/containers/storage/overlay-containers/aa9f1d2e3b5a69788776655443322110aabbccddeeff00112233445566778899"
		   "/userdata/config.json",
		   "{\"annotations\":{\"io.kubernetes.pod.name\":\"web-0\",\"io.kubernetes.pod.namespace\":\"default\","
		   "\"io.kubernetes.container.name\":\"web\",\"io.kubernetes.cri-o.ImageName\":\"quay.io/web:2\"}}", 0600);
	new_info(&ci, "cri-o", "aa9f1d2e3b5a69788776655443322110aabbccddeeff00112233445566778899");
	assert_int_equal(cw_container_runtime_state(root_fd, &ci), 0);
	assert_string_equal(ci.pod_namespace, "default");
	assert_string_equal(ci.image, "quay.io/web:2");
	cw_container_info_free(&ci);

	write_file("var/lib/docker/containers/bb9f1d2e3b5a69788776655443322110aabbccddeeff00112233445566778899/config.v2.json",
		   "{\"ID\":\"bb9f\",\"Name\":\"/db\",\"Config\":{\"Image\":\"postgres:16\",\"Labels\":{}}}", 0600);
	new_info(&ci, "docker", "bb9f1d2e3b5a69788776655443322110aabbccddeeff00112233445566778899");
	assert_int_equal(cw_container_runtime_state(root_fd, &ci), 0);
	assert_string_equal(ci.name, "db");
	assert_string_equal(ci.image, "postgres:16");
	assert_null(ci.pod_name);
	cw_container_info_free(&ci);
}

#define PODMAN_ID "5d5d1d2e3b5a69788776655443322110aabbccddeeff00112233445566778899"

/* podman: the bundle (userdata/config.json) names neither the container
 * nor the image; containers/storage's containers.json does. */
static void test_podman(void **state)
{
	(void)state;
	struct cw_container_info ci;
	if (geteuid() != 0)
		skip();
	write_file("var/lib/containers/storage/overlay-containers/" PODMAN_ID "/userdata/config.json",
		   "{\"ociVersion\":\"1.0.2-dev\",\"annotations\":{\"io.container.manager\":\"libpod\","
		   "\"org.opencontainers.image.stopSignal\":\"15\"}}", 0600);
	write_file("var/lib/containers/storage/overlay-containers/containers.json",
		   "[{\"id\":\"0000\",\"names\":[\"other\"],\"metadata\":\"{\\\"image-name\\\":\\\"evil\\\"}\"},"
		   "{\"id\":\"" PODMAN_ID "\",\"names\":[\"web\"],\"image\":\"e1b2\",\"layer\":\"9f\","
		   "\"metadata\":\"{\\\"image-name\\\":\\\"docker.io/library/nginx:latest\\\",\\\"image-id\\\":"
		   "\\\"e1b2\\\",\\\"name\\\":\\\"web\\\",\\\"created-at\\\":1700000000}\","
		   "\"created\":\"2026-11-30T10:00:00Z\",\"flags\":{\"MountLabel\":\"\"}}]", 0600);
	new_info(&ci, "podman", PODMAN_ID);
	assert_int_equal(cw_container_runtime_state(root_fd, &ci), 0);
	assert_string_equal(ci.runtime_state, "podman");
	assert_string_equal(ci.name, "web");
	assert_string_equal(ci.image, "docker.io/library/nginx:latest");
	cw_container_info_free(&ci);
	/* the cgroupfs shape without a runtime: found all the same */
	new_info(&ci, NULL, PODMAN_ID);
	assert_int_equal(cw_container_runtime_state(root_fd, &ci), 0);
	assert_string_equal(ci.cg.runtime, "cri-o"); /* the bundle's place is CRI-O's too */
	assert_string_equal(ci.image, "docker.io/library/nginx:latest");
	cw_container_info_free(&ci);
	/* a container storage does not list: nothing */
	new_info(&ci, "podman", "6e6e1d2e3b5a69788776655443322110aabbccddeeff00112233445566778899");
	assert_int_equal(cw_container_runtime_state(root_fd, &ci), -ENOENT);
	cw_container_info_free(&ci);
}

/* The parsers themselves, on hostile text. */
static void test_state_parsers(void **state)
{
	(void)state;
	char *name = NULL, *image = NULL, *v = NULL, out[64];
	static const char bad[] = "[{\"id\":\"x\",\"names\":[\"a\\u0000b\"],\"metadata\":\"{\\\"image-name\\\":7}\"}]";
	assert_int_equal(cw_storage_containers_parse(bad, strlen(bad), "x", &name, &image), 0);
	assert_null(name); /* a NUL inside: not a name */
	assert_null(image);
	assert_int_equal(cw_storage_containers_parse("{}", 2, "x", &name, &image), -EBADMSG);
	assert_int_equal(cw_storage_containers_parse("[{\"id\":\"x\"", 11, "x", &name, &image), -EBADMSG);
	assert_int_equal(cw_storage_containers_parse("[]", 2, "x", &name, &image), -ENOENT);
	static const char kf[] = "NAME=a\nROOT=\"/var/lib/machines/deb \\\"x\\\"\"\nROOTX=no\n# ROOT=comment\n"
				 "  lxc.rootfs.path = dir:/r  \nCLASS=vm\nCLASS=container";
	assert_int_equal(cw_keyfile_get(kf, strlen(kf), "ROOT", &v), 0);
	assert_string_equal(v, "/var/lib/machines/deb \"x\"");
	free(v);
	assert_int_equal(cw_keyfile_get(kf, strlen(kf), "lxc.rootfs.path", &v), 0);
	assert_string_equal(v, "dir:/r");
	free(v);
	assert_int_equal(cw_keyfile_get(kf, strlen(kf), "CLASS", &v), 0); /* the last wins, no newline at the end */
	assert_string_equal(v, "container");
	free(v);
	assert_int_equal(cw_keyfile_get(kf, strlen(kf) - 16, "CLASS", &v), 0); /* only len bytes are read */
	assert_string_equal(v, "vm");
	free(v);
	assert_int_equal(cw_keyfile_get(kf, strlen(kf), "SERVICE", &v), -ENOENT);
	assert_int_equal(cw_keyfile_get("K=a\033b", 6, "K", &v), -EBADMSG);
	assert_int_equal(cw_unit_unescape("deb\\x2dtest", out, sizeof(out)), 0);
	assert_string_equal(out, "deb-test");
	assert_int_equal(cw_unit_unescape("a\\x2fb", out, sizeof(out)), -EINVAL); /* '/' */
	assert_int_equal(cw_unit_unescape("\\x2e\\x2e", out, sizeof(out)), -EINVAL); /* ".." */
	assert_int_equal(cw_unit_unescape("a\\x00", out, sizeof(out)), -EINVAL);
	assert_int_equal(cw_unit_unescape("a\\x2", out, sizeof(out)), 0); /* not an escape: as is */
	assert_string_equal(out, "a\\x2");
}

/* systemd-nspawn run by hand (machine-NAME.scope) and LXC, by machined's
 * and LXC's files; a VM registered with machined is no container. */
static void test_machined_lxc(void **state)
{
	(void)state;
	struct cw_container_info ci;
	if (geteuid() != 0)
		skip();
	write_file("run/systemd/machines/deb-test",
		   "# This is private data. Do not parse.\nNAME=deb-test\nSCOPE=machine-deb\\x2dtest.scope\n"
		   "SERVICE=systemd-nspawn\nROOT=/var/lib/machines/deb-test\nID=0123456789abcdef0123456789abcdef\n"
		   "LEADER=4242\nCLASS=container\nREALTIME=1700000000000000\n", 0644);
	new_info(&ci, NULL, "deb\\x2dtest");
	assert_int_equal(cw_container_runtime_state(root_fd, &ci), 0);
	assert_string_equal(ci.cg.runtime, "systemd-nspawn");
	assert_string_equal(ci.runtime_state, "machined");
	assert_string_equal(ci.name, "deb-test");
	assert_string_equal(ci.image, "/var/lib/machines/deb-test");
	cw_container_info_free(&ci);
	/* --image=: ROOT is a temporary mount point, not an image name */
	write_file("run/systemd/machines/img", "NAME=img\nSERVICE=systemd-nspawn\nROOT=/tmp/nspawn-root-Ab12Cd\nCLASS=container\n",
		   0644);
	new_info(&ci, "systemd-nspawn", "img");
	assert_int_equal(cw_container_runtime_state(root_fd, &ci), 0);
	assert_string_equal(ci.name, "img");
	assert_null(ci.image);
	cw_container_info_free(&ci);
	write_file("run/systemd/machines/vm1", "NAME=vm1\nSERVICE=libvirt-qemu\nCLASS=vm\n", 0644);
	new_info(&ci, NULL, "vm1");
	assert_int_equal(cw_container_runtime_state(root_fd, &ci), -ENOENT);
	assert_null(ci.cg.runtime);
	cw_container_info_free(&ci);
	/* LXC */
	write_file("var/lib/lxc/c1/config",
		   "# Template used to create this container: /usr/share/lxc/templates/lxc-download\n"
		   "lxc.include = /usr/share/lxc/config/common.conf\nlxc.rootfs.path = dir:/var/lib/lxc/c1/rootfs\n"
		   "lxc.uts.name = c1\n", 0640);
	new_info(&ci, "lxc", "c1");
	assert_int_equal(cw_container_runtime_state(root_fd, &ci), 0);
	assert_string_equal(ci.runtime_state, "lxc");
	assert_string_equal(ci.name, "c1");
	assert_string_equal(ci.image, "dir:/var/lib/lxc/c1/rootfs");
	cw_container_info_free(&ci);
	/* a name that walks out of the directory: nothing read */
	new_info(&ci, "lxc", "..");
	assert_int_equal(cw_container_runtime_state(root_fd, &ci), -ENOENT);
	cw_container_info_free(&ci);
}

static void test_untrusted(void **state)
{
	(void)state;
	struct cw_container_info ci;
	char path[512], target[512];
	if (geteuid() != 0)
		skip();
	/* a file others may write: ignored */
	write_file("var/lib/docker/containers/cc9f1d2e3b5a69788776655443322110aabbccddeeff00112233445566778899/config.v2.json",
		   "{\"Config\":{\"Image\":\"evil\"}}", 0666);
	new_info(&ci, "docker", "cc9f1d2e3b5a69788776655443322110aabbccddeeff00112233445566778899");
	assert_int_equal(cw_container_runtime_state(root_fd, &ci), -ENOENT);
	assert_null(ci.image);
	cw_container_info_free(&ci);
	/* a file owned by a user: ignored */
	write_file("var/lib/docker/containers/dd9f1d2e3b5a69788776655443322110aabbccddeeff00112233445566778899/config.v2.json",
		   "{\"Config\":{\"Image\":\"evil\"}}", 0644);
	snprintf(path, sizeof(path), "%s/var/lib/docker/containers/dd9f1d2e3b5a69788776655443322110aabbccddeeff00112233445566778899/config.v2.json", root);
	assert_int_equal(chown(path, 1000, 1000), 0);
	new_info(&ci, "docker", "dd9f1d2e3b5a69788776655443322110aabbccddeeff00112233445566778899");
	assert_int_equal(cw_container_runtime_state(root_fd, &ci), -ENOENT);
	cw_container_info_free(&ci);
	/* a symlinked directory: not followed */
	write_file("elsewhere/config.v2.json", "{\"Config\":{\"Image\":\"evil\"}}", 0644);
	snprintf(target, sizeof(target), "%s/elsewhere", root);
	snprintf(path, sizeof(path), "%s/var/lib/docker/containers/ee9f1d2e3b5a69788776655443322110aabbccddeeff00112233445566778899", root);
	assert_int_equal(symlink(target, path), 0);
	new_info(&ci, "docker", "ee9f1d2e3b5a69788776655443322110aabbccddeeff00112233445566778899");
	assert_int_equal(cw_container_runtime_state(root_fd, &ci), -ENOENT);
	cw_container_info_free(&ci);
	/* no id, or an id that walks: nothing read */
	new_info(&ci, "docker", "../../etc");
	assert_int_equal(cw_container_runtime_state(root_fd, &ci), -ENOENT);
	cw_container_info_free(&ci);
}

static void test_mountinfo(void **state)
{
	(void)state;
	struct cw_mount m;
	size_t off = 0;
	static const char line[] = "36 35 98:0 /mnt\\0401 /mnt/a\\134b rw,noatime master:1 - ext3 /dev/root rw\n"
				   "garbage\n"
				   "37 36 0:5 / /proc rw - proc proc rw";
	assert_int_equal(cw_mountinfo_next(line, strlen(line), &off, &m), 1);
	assert_int_equal(m.major, 98);
	assert_string_equal(m.root, "/mnt 1");
	assert_string_equal(m.mount_point, "/mnt/a\\b");
	assert_int_equal(cw_mountinfo_next(line, strlen(line), &off, &m), -EBADMSG);
	assert_int_equal(cw_mountinfo_next(line, strlen(line), &off, &m), 1);
	assert_string_equal(m.mount_point, "/proc");
	assert_int_equal(cw_mountinfo_next(line, strlen(line), &off, &m), 0);

	/* A container whose / is a bind of ROOT/ctr on the host's file system:
	 * its /bin/app is ROOT/ctr/bin/app, proven by device and inode. */
	char dir[300], inner[2048], outer[2048], *host = NULL;
	struct stat st, fs;
	snprintf(dir, sizeof(dir), "%s/ctr/bin", root);
	char cmd[700];
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s' && echo x > '%s/app'", dir, dir);
	assert_int_equal(system(cmd), 0);
	snprintf(dir, sizeof(dir), "%s/ctr/bin/app", root);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(stat("/", &fs), 0);
	/* the host's view: the file system mounted at / with root / (or at
	 * the test root's own mount: use the real device numbers) */
	snprintf(outer, sizeof(outer), "1 0 %u:%u / / rw - x x rw\n", major(st.st_dev), minor(st.st_dev));
	snprintf(inner, sizeof(inner), "9 8 %u:%u %s/ctr / rw - x x rw\n", major(st.st_dev), minor(st.st_dev), root);
	if (st.st_dev != fs.st_dev) /* /tmp is its own mount: root paths are relative to it */
		skip();
	assert_int_equal(cw_mountinfo_host_path(inner, strlen(inner), outer, strlen(outer), "/bin/app", st.st_dev,
						st.st_ino, &host), 0);
	assert_string_equal(host, dir);
	free(host);
	/* the wrong inode: no path */
	assert_int_equal(cw_mountinfo_host_path(inner, strlen(inner), outer, strlen(outer), "/bin/app", st.st_dev,
						st.st_ino + 1, &host), -ENOENT);
	assert_null(host);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_containerd),
		cmocka_unit_test(test_crio_docker),
		cmocka_unit_test(test_podman),
		cmocka_unit_test(test_state_parsers),
		cmocka_unit_test(test_machined_lxc),
		cmocka_unit_test(test_untrusted),
		cmocka_unit_test(test_mountinfo),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
