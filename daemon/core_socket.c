/* The kernel's core sockets: "@PATH" (Linux >= 6.16) connects to
 * [Daemon] CoreSocket= and writes the core; "@@PATH" (Linux >= 6.17)
 * first sends a request and waits for the answer (daemon/coredump_proto.h),
 * so that a core can be refused before a byte of it is written. One
 * socket serves both: a connection that starts with an ELF header is a
 * plain one. The peer's pidfd (SO_PEERPIDFD) names the crashing process;
 * PIDFD_GET_INFO confirms it is dumping core. The decision (reject a
 * crash-loop repeat, storage/loops.c) is taken here in the event loop;
 * the rest of each connection is handed to the collector's code
 * (collector/collect.h) in a forked child, so a large core never stalls
 * the event loop; the spool entry it writes comes back through the spool
 * watch like any other. A connection that stays silent for
 * CoreSocketTimeoutSec= (before its first bytes, mid-request, mid-core)
 * is closed, so that it holds neither an event source nor a child. */
#include "config.h"
#include "daemon/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "collector/collect.h"
#include "collector/procinfo.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "daemon/coredump_proto.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif

/* PIDFD_GET_INFO (Linux >= 6.13; the coredump fields >= 6.16/6.17), with
 * the kernel's struct pidfd_info up to coredump_signal (PIDFD_INFO_SIZE_VER2). */
struct cw_pidfd_info {
	uint64_t mask, cgroupid;
	uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
	int32_t exit_code;
	uint32_t coredump_mask, coredump_signal;
	uint64_t supported_mask;
};
#define CW_PIDFD_GET_INFO _IOWR(0xFF, 11, struct cw_pidfd_info)
#define CW_PIDFD_INFO_COREDUMP (1ULL << 4)
#define CW_PIDFD_INFO_COREDUMP_SIGNAL (1ULL << 6)
#define CW_PIDFD_COREDUMPED (1U << 0)
#define CW_PIDFD_COREDUMP_ROOT (1U << 3)

#define REQUEST_TIMEOUT_SEC 10  /* for the kernel's mark after our ack */

enum core_mode { CORE_PLAIN, CORE_ACCEPT, CORE_REJECT };

/* A connection whose first bytes have not come yet. */
struct pending {
	struct cw_daemon *d;
	int fd;
	sd_event_source *src;
	sd_event_source *timer;  /* CoreSocketTimeoutSec= */
	struct ucred peer;       /* pid 0: unknown */
	struct cw_coredump_req req;
};

static bool kernel_at_least(int want_major, int want_minor)
{
	struct utsname u;
	int major = 0, minor = 0;
	if (uname(&u) < 0 || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return false;
	return major > want_major || (major == want_major && minor >= want_minor);
}

bool cw_core_socket_request_supported(void)
{
	return kernel_at_least(6, 17);
}

bool cw_core_socket_supported(void)
{
	return kernel_at_least(6, 16);
}

static int on_collector_exit(sd_event_source *s, const siginfo_t *si, void *userdata)
{
	if (si->si_code != CLD_EXITED || si->si_status != 0)
		cw_log_warning("core socket: collection in process %d failed (status %d)", (int)si->si_pid,
			       si->si_status);
	sd_event_source_disable_unref(s);
	return 0;
}

static int peer_pidfd(int conn)
{
	int pidfd = -1;
	socklen_t len = sizeof(pidfd);
	if (getsockopt(conn, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) < 0)
		return -errno;
	return pidfd;
}

static void crash_info_unknown(struct cw_crash_info *info)
{
	memset(info, 0, sizeof(*info));
	info->pid = info->tid = -1;
	info->uid = info->gid = info->crash_time = -1;
	info->signal = info->dump_mode = -1;
	info->core_rlimit = UINT64_MAX;
	info->pidfd = -1;
}

static int send_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Sends the ack and reads the kernel's mark: 0 when acknowledged. */
static int answer_request(int conn, const struct cw_coredump_req *req, uint64_t mask)
{
	uint8_t ack[CW_COREDUMP_ACK_SIZE_VER0], mark_buf[CW_COREDUMP_MARK_SIZE];
	uint32_t mark = 0;
	int n = cw_coredump_ack_build(req, mask, ack, sizeof(ack));
	if (n < 0)
		return n;
	int r = send_all(conn, ack, (size_t)n);
	if (r < 0)
		return r;
	ssize_t got = recv(conn, mark_buf, sizeof(mark_buf), MSG_WAITALL);
	if (got < 0)
		return -errno;
	r = cw_coredump_mark_parse(mark_buf, (size_t)got, &mark);
	if (r == -EPROTO)
		cw_log_warning("core socket: the kernel answered our ack with \"%s\" (%u)", cw_coredump_mark_name(mark),
			       mark);
	return r == -EAGAIN ? -EPIPE : r;
}

static void peer_cred(int conn, struct ucred *out)
{
	socklen_t len = sizeof(*out);
	if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, out, &len) < 0)
		memset(out, 0, sizeof(*out));
}

/* In the child: never returns. */
static void collect_connection(const struct cw_config *cfg, int conn, enum core_mode mode,
			       const struct cw_coredump_req *req, const struct cw_pidfd_info *pi)
{
	struct cw_crash_info info;
	struct cw_collect_result res = { 0 };
	int pidfd = peer_pidfd(conn);
	int r = pidfd >= 0 ? cw_crash_from_pidfd(pidfd, &info) : -EBADF;
	if (r < 0)
		crash_info_unknown(&info); /* no process to ask: the core's own notes must do */
	if (pi && (pi->mask & CW_PIDFD_INFO_COREDUMP_SIGNAL) && pi->coredump_signal > 0 && pi->coredump_signal < 128)
		info.signal = (int)pi->coredump_signal;
	/* blocking from here on; the kernel holds the process until we are done */
	int fl = fcntl(conn, F_GETFL);
	if (fl >= 0)
		(void)fcntl(conn, F_SETFL, fl & ~O_NONBLOCK);
	struct timeval tv = { .tv_sec = REQUEST_TIMEOUT_SEC };
	if (mode == CORE_REJECT) {
		/* the record first: once rejected, the kernel lets the process go */
		r = cw_collect_without_core(cfg, &info, CW_COLLECT_SOCKET, "crash-loop", &res);
		(void)setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		int a = answer_request(conn, req, CW_COREDUMP_REJECT);
		close(conn);
		_exit(r < 0 || a < 0 ? 1 : 0);
	}
	if (mode == CORE_ACCEPT) {
		(void)setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		r = answer_request(conn, req, CW_COREDUMP_KERNEL);
		if (r < 0)
			_exit(1);
	}
	/* the core: a recv that waits longer than CoreSocketTimeoutSec= ends it ("timeout") */
	uint64_t t = cfg->core_socket_timeout_sec;
	tv = (struct timeval){ .tv_sec = t < INT32_MAX ? (time_t)t : INT32_MAX };
	(void)setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	struct ucred peer;
	peer_cred(conn, &peer);
	r = cw_collect(cfg, &info, CW_COLLECT_SOCKET, conn, &res);
	if (res.reason && !strcmp(res.reason, "timeout"))
		cw_log_warning("core socket: pid %d (uid %u): no byte of the core for %llu s after %llu bytes, "
			       "closed; recorded without its core", (int)(info.pid > 0 ? info.pid : peer.pid),
			       (unsigned)peer.uid, (unsigned long long)t, (unsigned long long)res.size);
	_exit(r < 0 ? 1 : 0);
}

static void fork_collector(struct cw_daemon *d, int conn, enum core_mode mode, const struct cw_coredump_req *req,
			   const struct cw_pidfd_info *pi)
{
	pid_t pid = fork();
	if (pid < 0) {
		cw_log_errno(LOG_ERR, errno, "core socket: fork");
		return;
	}
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		collect_connection(&d->cfg, conn, mode, req, pi);
	}
	int r = sd_event_add_child(d->ev, NULL, pid, WEXITED, on_collector_exit, NULL);
	if (r < 0)
		cw_log_errno(LOG_WARNING, r, "core socket: watching process %d", (int)pid);
}

/* PIDFD_GET_INFO: 1 when the kernel says the process is dumping core, 0
 * when it says it is not (the peer is not the kernel's connection),
 * -errno when the kernel cannot tell (older than 6.16). */
static int pidfd_dumping(int pidfd, struct cw_pidfd_info *pi)
{
	memset(pi, 0, sizeof(*pi));
	pi->mask = CW_PIDFD_INFO_COREDUMP | CW_PIDFD_INFO_COREDUMP_SIGNAL;
	if (ioctl(pidfd, CW_PIDFD_GET_INFO, pi) < 0)
		return -errno;
	if (!(pi->mask & CW_PIDFD_INFO_COREDUMP))
		return -EOPNOTSUPP;
	return (pi->coredump_mask & CW_PIDFD_COREDUMPED) != 0;
}

/* The build id of the process's executable, through /proc/PID/exe opened
 * while the pidfd shows the same process alive (pid reuse). */
static int process_build_id(int pidfd, pid_t pid, char **out)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0)
		return -errno;
	return cw_elf_build_id(fd, out);
}

/* Reject this crash's core? Only a crash-loop repeat: its executable's
 * one running loop has its cores stored already. Root-only dumps
 * (%d == 2) are never rejected: they are never analysed for others. */
static bool reject_repeat(struct cw_daemon *d, int pidfd, const struct cw_pidfd_info *pi, char *fp, size_t fp_len)
{
	_cleanup_free_ char *build_id = NULL;
	if (d->cfg.loop_burst == 0 || d->cfg.loop_interval_sec == 0 || (pi->coredump_mask & CW_PIDFD_COREDUMP_ROOT))
		return false;
	if (process_build_id(pidfd, (pid_t)pi->tgid, &build_id) < 0 || !build_id)
		return false;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t now = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	return cw_loop_should_reject(d->db, build_id, pi->ruid, now, d->cfg.loop_interval_sec * 1000000ULL,
				     (int64_t)d->cfg.loop_burst, fp, fp_len) > 0;
}

static void pending_free(struct pending *p)
{
	if (!p)
		return;
	sd_event_source_disable_unref(p->src);
	sd_event_source_disable_unref(p->timer);
	if (p->fd >= 0)
		close(p->fd);
	free(p);
}

/* A request: checked, decided, answered by the child. */
static void handle_request(struct pending *p)
{
	struct cw_daemon *d = p->d;
	struct cw_pidfd_info pi;
	_cleanup_close_ int pidfd = peer_pidfd(p->fd);
	if (pidfd < 0) {
		cw_log_warning("core socket: a request without a peer pidfd, closed");
		return;
	}
	int r = pidfd_dumping(pidfd, &pi);
	if (r == 0 && d->cfg.core_socket_verify) {
		cw_log_warning("core socket: a request from pid %u, which is not dumping core, closed", pi.tgid);
		return;
	}
	if (r == 0)
		r = 1; /* CoreSocketVerify=no: a harness playing the kernel */
	if (r < 0)
		memset(&pi, 0, sizeof(pi)); /* the kernel cannot tell: collect, never reject */
	char fp[128] = "";
	enum core_mode mode = CORE_ACCEPT;
	uint64_t mask;
	if (r > 0 && reject_repeat(d, pidfd, &pi, fp, sizeof(fp)))
		mode = CORE_REJECT;
	if (cw_coredump_choose(&p->req, mode == CORE_REJECT, &mask) < 0) {
		cw_log_warning("core socket: the kernel offers neither to write nor to reject (mask %#llx)",
			       (unsigned long long)p->req.mask);
		return;
	}
	if (mode == CORE_REJECT && mask != CW_COREDUMP_REJECT)
		mode = CORE_ACCEPT;
	if (mode == CORE_REJECT)
		cw_log_info("core socket: pid %u: crash-loop repeat of %.16s, core rejected before it was written",
			    pi.tgid, fp);
	fork_collector(d, p->fd, mode, &p->req, r > 0 ? &pi : NULL);
}

static int on_core_readable(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct pending *p = userdata;
	uint8_t buf[CW_COREDUMP_REQ_MAX];
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		pending_free(p); /* gone before saying anything */
		return 0;
	}
	int kind = cw_coredump_is_request(buf, (size_t)n);
	if (kind == -EAGAIN && !(revents & (EPOLLHUP | EPOLLRDHUP)))
		return 0;
	if (kind <= 0) {
		/* a plain @socket connection: the core itself */
		fork_collector(p->d, fd, CORE_PLAIN, NULL, NULL);
		pending_free(p);
		return 0;
	}
	int r = cw_coredump_req_parse(buf, (size_t)n, &p->req);
	if (r == -EAGAIN && !(revents & (EPOLLHUP | EPOLLRDHUP)))
		return 0;
	if (r < 0) {
		cw_log_warning("core socket: malformed core request (%zd bytes), closed", n);
		pending_free(p);
		return 0;
	}
	/* consume exactly the request: the kernel sends nothing more before our ack */
	if (recv(fd, buf, (size_t)r, MSG_DONTWAIT) != r) {
		pending_free(p);
		return 0;
	}
	handle_request(p);
	pending_free(p);
	return 0;
}

static int on_pending_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct pending *p = userdata;
	int queued = 0;
	if (ioctl(p->fd, FIONREAD, &queued) < 0)
		queued = 0;
	cw_log_warning("core socket: pid %d (uid %u) sent %s in %llu s, closed", (int)p->peer.pid,
		       (unsigned)p->peer.uid, queued > 0 ? "an incomplete request" : "nothing",
		       (unsigned long long)p->d->cfg.core_socket_timeout_sec);
	pending_free(p);
	return 0;
}

static int on_core_connection(sd_event_source *s, int lfd, uint32_t revents, void *userdata)
{
	struct cw_daemon *d = userdata;
	int conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (conn < 0)
		return 0;
	struct pending *p = calloc(1, sizeof(*p));
	if (!p) {
		close(conn);
		return 0;
	}
	p->d = d;
	p->fd = conn;
	peer_cred(conn, &p->peer);
	uint64_t t = d->cfg.core_socket_timeout_sec;
	/* edge-triggered: the first bytes are only peeked at until the request
	 * is complete, and must not wake the loop again until more come */
	int r = sd_event_add_io(d->ev, &p->src, conn, EPOLLIN | EPOLLRDHUP | EPOLLET, on_core_readable, p);
	if (r >= 0 && t > 0)
		r = sd_event_add_time_relative(d->ev, &p->timer, CLOCK_MONOTONIC,
					       (t < INT32_MAX ? t : INT32_MAX) * 1000000ULL, 0, on_pending_timeout, p);
	if (r < 0) {
		cw_log_errno(LOG_WARNING, r, "core socket: watching a connection");
		pending_free(p);
	}
	return 0;
}

int cw_core_socket_start(struct cw_daemon *d)
{
	const char *path = d->cfg.core_socket_path;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (!path || !*path)
		return 0;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	(void)unlink(path);
	/* only root (the kernel) may connect */
	mode_t old = umask(0177);
	int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || listen(fd, 64) < 0)
		return -errno;
	r = sd_event_add_io(d->ev, &d->core_src, fd, EPOLLIN, on_core_connection, d);
	if (r < 0)
		return r;
	d->core_fd = CW_TAKE_FD(fd);
	return 1;
}
