/* Reads the crashing process's metadata from /proc/PID, only after proving
 * that PID still names the crashing process: a pidfd (the kernel's %F, or
 * one we open with pidfd_open) whose fdinfo names PID, a process start time
 * not after the crash, and the pidfd still alive after every read (so the
 * data cannot come from a recycled pid). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "collector/procinfo.h"
#include "collector/readfile.h"
#include "common/cleanup.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

#define CMDLINE_MAX (64U << 10)
#define ENVIRON_MAX (1U << 20)
#define MAPS_MAX (4U << 20)
#define SMALL_MAX (64U << 10)
#define CMDLINE_ARGS_MAX 1024

const char *const cw_procinfo_ns_names[CW_PROCINFO_NS_COUNT] = {
	"cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts",
};
const char *const cw_procinfo_env_names[3] = { "GOTRACEBACK", "GODEBUG", "GOMAXPROCS" };

void cw_procinfo_init(struct cw_procinfo *p)
{
	memset(p, 0, sizeof(*p));
	p->exe_fd = -1;
	p->uid = p->euid = p->gid = p->egid = -1;
	p->signal = -1;
}

void cw_procinfo_free(struct cw_procinfo *p)
{
	free(p->exe);
	free(p->build_id);
	if (p->exe_fd >= 0)
		close(p->exe_fd);
	for (size_t i = 0; i < p->n_cmdline; i++)
		free(p->cmdline[i]);
	free(p->cmdline);
	free(p->cwd);
	free(p->comm);
	free(p->cgroup);
	free(p->unit);
	free(p->user_unit);
	for (size_t i = 0; i < CW_PROCINFO_NS_COUNT; i++)
		free(p->ns[i]);
	for (size_t i = 0; i < 3; i++)
		free(p->env[i]);
	for (size_t i = 0; i < p->n_maps; i++)
		free(p->maps[i].path);
	free(p->maps);
	cw_container_info_free(&p->container_info);
	cw_proc_libs_free(&p->libs);
	cw_procinfo_init(p);
}

int cw_procinfo_add_mapping(struct cw_procinfo *p, uint64_t start, uint64_t end, uint64_t offset,
			    const char *perms, const char *path)
{
	struct cw_mapping *m;

	if (p->n_maps >= CW_MAX_MAPPINGS) {
		p->maps_truncated = true;
		return -E2BIG;
	}
	if ((p->n_maps & (p->n_maps - 1)) == 0) { /* grow at powers of two */
		size_t cap = p->n_maps ? p->n_maps * 2 : 16;
		m = realloc(p->maps, cap * sizeof(*m));
		if (!m)
			return -ENOMEM;
		p->maps = m;
	}
	m = &p->maps[p->n_maps];
	memset(m, 0, sizeof(*m));
	m->start = start;
	m->end = end;
	m->offset = offset;
	snprintf(m->perms, sizeof(m->perms), "%s", perms ? perms : "");
	if (path && *path) {
		m->path = strdup(path);
		if (!m->path)
			return -ENOMEM;
	}
	p->n_maps++;
	return 0;
}

static int pidfd_is_alive(int pidfd)
{
	if (syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0)
		return -errno;
	return 0;
}

/* The Pid: line of the pidfd's fdinfo: which process the pidfd names. */
static int pidfd_get_pid(int pidfd, pid_t *out)
{
	char path[64], *line;
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
	r = cw_read_file_at(AT_FDCWD, path, 4096, &buf, &len);
	if (r < 0)
		return r;
	line = strstr(buf, "\nPid:");
	if (!line)
		return -EBADF; /* not a pidfd */
	long v = strtol(line + 5, NULL, 10);
	if (v <= 0)
		return -ESRCH; /* -1: the process has been reaped */
	*out = (pid_t)v;
	return 0;
}

/* Process start time in seconds since the epoch, from stat and btime. */
static int process_start_time(int proc_fd, int64_t *out)
{
	_cleanup_free_ char *stat = NULL, *sys = NULL;
	size_t len;
	unsigned long long start_ticks;
	long long btime = -1;
	int r;

	r = cw_read_file_at(proc_fd, "stat", 4096, &stat, &len);
	if (r < 0)
		return r;
	char *p = strrchr(stat, ')');
	if (!p)
		return -EBADMSG;
	/* After ") ": field 3 (state) ... field 22 (starttime). */
	p++;
	for (int field = 2; field < 21; field++) {
		p = strchr(p + 1, ' ');
		if (!p)
			return -EBADMSG;
	}
	if (sscanf(p, " %llu", &start_ticks) != 1)
		return -EBADMSG;
	r = cw_read_file_at(AT_FDCWD, "/proc/stat", 1U << 20, &sys, &len);
	if (r < 0)
		return r;
	char *b = strstr(sys, "\nbtime ");
	if (!b || sscanf(b + 7, "%lld", &btime) != 1)
		return -EBADMSG;
	long hz = sysconf(_SC_CLK_TCK);
	if (hz <= 0)
		return -EINVAL;
	*out = btime + (int64_t)(start_ticks / (unsigned long long)hz);
	return 0;
}

static void parse_status(struct cw_procinfo *p, const char *status)
{
	const char *l;
	long long a, b;

	if ((l = strstr(status, "\nUid:")) && sscanf(l + 5, "%lld %lld", &a, &b) == 2) {
		p->uid = a;
		p->euid = b;
	}
	if ((l = strstr(status, "\nGid:")) && sscanf(l + 5, "%lld %lld", &a, &b) == 2) {
		p->gid = a;
		p->egid = b;
	}
	if ((l = strstr(status, "\nCoreDumping:")) && sscanf(l + 13, "%lld", &a) == 1)
		p->core_dumping = a == 1;
}

static int parse_cmdline(struct cw_procinfo *p, const char *buf, size_t len)
{
	size_t n = 0, i;

	for (i = 0; i < len && n < CMDLINE_ARGS_MAX; n++)
		i += strnlen(buf + i, len - i) + 1;
	p->cmdline = calloc(n ? n : 1, sizeof(char *));
	if (!p->cmdline)
		return -ENOMEM;
	for (i = 0; i < len && p->n_cmdline < n;) {
		size_t l = strnlen(buf + i, len - i);
		p->cmdline[p->n_cmdline] = strndup(buf + i, l);
		if (!p->cmdline[p->n_cmdline])
			return -ENOMEM;
		p->n_cmdline++;
		i += l + 1;
	}
	return 0;
}

static int parse_environ(struct cw_procinfo *p, const char *buf, size_t len)
{
	for (size_t i = 0; i < len;) {
		size_t l = strnlen(buf + i, len - i);
		for (size_t k = 0; k < 3; k++) {
			size_t kl = strlen(cw_procinfo_env_names[k]);
			if (l > kl && buf[i + kl] == '=' && !memcmp(buf + i, cw_procinfo_env_names[k], kl) &&
			    !p->env[k]) {
				p->env[k] = strndup(buf + i + kl + 1, l - kl - 1);
				if (!p->env[k])
					return -ENOMEM;
			}
		}
		i += l + 1;
	}
	return 0;
}

/* One line of /proc/PID/maps: "start-end perms offset dev inode   path". */
static int parse_maps(struct cw_procinfo *p, char *buf)
{
	char *save = NULL;

	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		uint64_t start, end, off;
		char perms[8];
		int pos = 0;
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %*s %*s %n", &start, &end, perms,
			   &off, &pos) < 4 || pos <= 0)
			continue;
		int r = cw_procinfo_add_mapping(p, start, end, off, perms, line + pos);
		if (r == -E2BIG)
			break;
		if (r < 0)
			return r;
	}
	return 0;
}

static bool unit_like(const char *s, size_t len)
{
	return (len > 8 && !memcmp(s + len - 8, ".service", 8)) || (len > 6 && !memcmp(s + len - 6, ".scope", 6));
}

/* The systemd unit from the unified cgroup path: the first .service/.scope
 * component is the system unit; inside user@UID.service, the next one is
 * the user unit. */
static int parse_cgroup(struct cw_procinfo *p, const char *buf)
{
	const char *l = strstr(buf, "0::");
	if (!l || (l != buf && l[-1] != '\n'))
		return 0;
	l += 3;
	size_t len = strcspn(l, "\n");
	p->cgroup = strndup(l, len);
	if (!p->cgroup)
		return -ENOMEM;
	bool in_user_manager = false;
	for (const char *c = p->cgroup; *c;) {
		while (*c == '/')
			c++;
		size_t cl = strcspn(c, "/");
		if (cl && unit_like(c, cl)) {
			if (!p->unit) {
				p->unit = strndup(c, cl);
				if (!p->unit)
					return -ENOMEM;
				in_user_manager = cl > 5 && !memcmp(c, "user@", 5);
			} else if (in_user_manager && !p->user_unit) {
				p->user_unit = strndup(c, cl);
				if (!p->user_unit)
					return -ENOMEM;
			}
		}
		c += cl;
	}
	return 0;
}

static char *readlink_dup(int dirfd, const char *name)
{
	char buf[4096];
	ssize_t n = readlinkat(dirfd, name, buf, sizeof(buf) - 1);
	if (n < 0)
		return NULL;
	buf[n] = 0;
	return strdup(buf);
}

static int read_namespaces(struct cw_procinfo *p, int proc_fd)
{
	_cleanup_close_ int init_fd = open("/proc/1", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	bool differs = false, known = init_fd >= 0;

	for (size_t i = 0; i < CW_PROCINFO_NS_COUNT; i++) {
		char name[32];
		snprintf(name, sizeof(name), "ns/%s", cw_procinfo_ns_names[i]);
		p->ns[i] = readlink_dup(proc_fd, name);
		if (known && p->ns[i] && (!strcmp(cw_procinfo_ns_names[i], "pid") ||
					  !strcmp(cw_procinfo_ns_names[i], "mnt"))) {
			_cleanup_free_ char *init_ns = readlink_dup(init_fd, name);
			if (!init_ns)
				known = false;
			else if (strcmp(init_ns, p->ns[i]))
				differs = true;
		}
	}
	p->container_known = known;
	p->container = known && differs;
	return 0;
}

static int get_verified_pidfd(const struct cw_crash_info *c, struct cw_procinfo *p, int *owned)
{
	pid_t named;
	int pidfd = c->pidfd, r;

	*owned = -1;
	if (c->pid <= 0) {
		snprintf(p->note, sizeof(p->note), "no pid");
		return -ESRCH;
	}
	if (pidfd < 0) {
		pidfd = (int)syscall(SYS_pidfd_open, c->pid, 0);
		if (pidfd < 0) {
			r = -errno;
			snprintf(p->note, sizeof(p->note), "process gone: pidfd_open: %s", strerror(-r));
			return r;
		}
		*owned = pidfd;
	}
	r = pidfd_get_pid(pidfd, &named);
	if (r < 0) {
		snprintf(p->note, sizeof(p->note), "pidfd invalid: %s", strerror(-r));
		return r;
	}
	if (named != c->pid) {
		snprintf(p->note, sizeof(p->note), "pidfd invalid: names pid %d, not %d", (int)named, (int)c->pid);
		return -ESRCH;
	}
	return pidfd;
}

int cw_procinfo_read(const struct cw_crash_info *c, struct cw_procinfo *p)
{
	_cleanup_close_ int owned_pidfd = -1, proc_fd = -1, host_root = -1;
	_cleanup_free_ char *buf = NULL, *cgroup = NULL;
	size_t cgroup_len = 0;
	char path[64];
	size_t len;
	int64_t started;
	int pidfd, r;

	pidfd = get_verified_pidfd(c, p, &owned_pidfd);
	if (pidfd < 0)
		return pidfd;
	snprintf(path, sizeof(path), "/proc/%d", (int)c->pid);
	proc_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (proc_fd < 0) {
		r = -errno;
		snprintf(p->note, sizeof(p->note), "process gone: %s: %s", path, strerror(-r));
		return r;
	}
	/* proc_fd was opened while the pidfd named this pid: if the pidfd is
	 * still alive now, proc_fd is the same process. */
	r = pidfd_is_alive(pidfd);
	if (r < 0) {
		snprintf(p->note, sizeof(p->note), "process gone: %s", strerror(-r));
		return r;
	}
	r = process_start_time(proc_fd, &started);
	if (r < 0) {
		snprintf(p->note, sizeof(p->note), "process gone: stat: %s", strerror(-r));
		return r;
	}
	if (c->crash_time > 0 && started > c->crash_time + 1) {
		snprintf(p->note, sizeof(p->note), "pid recycled: started %" PRId64 " after the crash at %" PRId64,
			 started, c->crash_time);
		return -ESRCH;
	}

	if (cw_read_file_at(proc_fd, "status", SMALL_MAX, &buf, &len) >= 0)
		parse_status(p, buf);
	free(buf), buf = NULL;
	/* The kernel gives the files in /proc/PID to root when a process is not dumpable
	 * (setuid, prctl(PR_SET_DUMPABLE, 0)): such a core is root's only. */
	struct stat st;
	if (fstatat(proc_fd, "status", &st, 0) == 0 && st.st_uid == 0 && p->euid > 0)
		p->nondumpable = true;
	if (cw_read_file_at(proc_fd, "comm", 256, &buf, &len) >= 0) {
		buf[strcspn(buf, "\n")] = 0;
		p->comm = CW_TAKE_PTR(buf);
	}
	if (cw_read_file_at(proc_fd, "cmdline", CMDLINE_MAX, &buf, &len) >= 0 && (r = parse_cmdline(p, buf, len)) < 0)
		goto fail;
	free(buf), buf = NULL;
	if (cw_read_file_at(proc_fd, "environ", ENVIRON_MAX, &buf, &len) >= 0 && (r = parse_environ(p, buf, len)) < 0)
		goto fail;
	free(buf), buf = NULL;
	if (cw_read_file_at(proc_fd, "cgroup", SMALL_MAX, &cgroup, &cgroup_len) >= 0 && (r = parse_cgroup(p, cgroup)) < 0)
		goto fail;
	if (cw_read_file_at(proc_fd, "maps", MAPS_MAX, &buf, &len) >= 0 && (r = parse_maps(p, buf)) < 0)
		goto fail;
	free(buf), buf = NULL;
	p->exe = readlink_dup(proc_fd, "exe");
	p->cwd = readlink_dup(proc_fd, "cwd");
	read_namespaces(p, proc_fd);
	p->exe_fd = openat(proc_fd, "exe", O_RDONLY | O_CLOEXEC);
	if (p->exe_fd >= 0)
		(void)cw_elf_build_id(p->exe_fd, &p->build_id);
	/* a container's libraries, by the files it mapped (while it is held) */
	if ((r = cw_proc_libs_open(&p->libs, proc_fd, p->maps, p->n_maps, p->exe_fd)) < 0)
		goto fail;
	host_root = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if ((r = cw_container_read(c, p, proc_fd, host_root, cgroup, cgroup_len)) < 0)
		goto fail;

	/* Everything above came from the process the pidfd names only if it
	 * is still alive now. */
	r = pidfd_is_alive(pidfd);
	if (r < 0) {
		cw_procinfo_free(p);
		snprintf(p->note, sizeof(p->note), "process exited while being read: %s", strerror(-r));
		return r;
	}
	p->from_proc = true;
	p->pidfd_source = owned_pidfd >= 0 ? "pidfd_open" : "kernel";
	return 0;
fail:
	cw_procinfo_free(p);
	snprintf(p->note, sizeof(p->note), "reading /proc: %s", strerror(-r));
	return r;
}

int cw_crash_from_pidfd(int pidfd, struct cw_crash_info *c)
{
	_cleanup_free_ char *status = NULL, *comm = NULL;
	_cleanup_close_ int proc_fd = -1;
	struct cw_procinfo p;
	char path[64];
	size_t len;
	pid_t pid;
	int r;

	memset(c, 0, sizeof(*c));
	c->pid = c->tid = -1;
	c->uid = c->gid = c->crash_time = -1;
	c->signal = c->dump_mode = -1;
	c->core_rlimit = UINT64_MAX;
	c->pidfd = pidfd;
	r = pidfd_get_pid(pidfd, &pid);
	if (r < 0)
		return r;
	c->pid = pid;
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	proc_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (proc_fd < 0)
		return -errno;
	cw_procinfo_init(&p);
	if (cw_read_file_at(proc_fd, "status", SMALL_MAX, &status, &len) >= 0)
		parse_status(&p, status);
	if (cw_read_file_at(proc_fd, "comm", 256, &comm, &len) >= 0) {
		comm[strcspn(comm, "\n")] = 0;
		snprintf(c->comm, sizeof(c->comm), "%s", comm);
	}
	r = pidfd_is_alive(pidfd);
	if (r < 0) {
		c->comm[0] = 0;
		return r;
	}
	c->uid = p.uid;
	c->gid = p.gid;
	c->crash_time = time(NULL);
	return 0;
}
