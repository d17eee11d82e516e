/* The kernel's @socket core_pattern (Linux >= 6.16): the kernel connects
 * to [Daemon] CoreSocket= and writes the core; the peer's pidfd
 * (SO_PEERPIDFD) names the crashing process. Each connection is handed to
 * the collector's code (collector/collect.h) in a forked child, so a large
 * core never stalls the event loop; the spool entry it writes comes back
 * through the spool watch like any other. */
#include "config.h"
#include "daemon/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "collector/collect.h"
#include "common/cleanup.h"
#include "common/log.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif

bool cw_core_socket_supported(void)
{
	struct utsname u;
	int major = 0, minor = 0;
	if (uname(&u) < 0 || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return false;
	return major > 6 || (major == 6 && minor >= 16);
}

static int on_collector_exit(sd_event_source *s, const siginfo_t *si, void *userdata)
{
	if (si->si_code != CLD_EXITED || si->si_status != 0)
		cw_log_warning("core socket: collection in process %d failed (status %d)", (int)si->si_pid,
			       si->si_status);
	sd_event_source_disable_unref(s);
	return 0;
}

/* In the child: never returns. */
static void collect_connection(const struct cw_config *cfg, int conn)
{
	struct cw_crash_info info;
	struct cw_collect_result res;
	int pidfd = -1;
	socklen_t len = sizeof(pidfd);
	if (getsockopt(conn, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) < 0)
		pidfd = -1;
	int r = pidfd >= 0 ? cw_crash_from_pidfd(pidfd, &info) : -EBADF;
	if (r < 0) {
		/* no process to ask: the core's own notes must do */
		memset(&info, 0, sizeof(info));
		info.pid = info.tid = -1;
		info.uid = info.gid = info.crash_time = -1;
		info.signal = info.dump_mode = -1;
		info.core_rlimit = UINT64_MAX;
		info.pidfd = -1;
	}
	r = cw_collect(cfg, &info, CW_COLLECT_SOCKET, conn, &res);
	_exit(r < 0 ? 1 : 0);
}

static int on_core_connection(sd_event_source *s, int lfd, uint32_t revents, void *userdata)
{
	struct cw_daemon *d = userdata;
	int conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (conn < 0)
		return 0;
	pid_t pid = fork();
	if (pid < 0) {
		cw_log_errno(LOG_ERR, errno, "core socket: fork");
		close(conn);
		return 0;
	}
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		collect_connection(&d->cfg, conn);
	}
	close(conn);
	int r = sd_event_add_child(d->ev, NULL, pid, WEXITED, on_collector_exit, NULL);
	if (r < 0)
		cw_log_errno(LOG_WARNING, r, "core socket: watching process %d", (int)pid);
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
