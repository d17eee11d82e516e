/* ForwardTo=: tee the core into another handler. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "collector/forward.h"
#include "common/cleanup.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

extern char **environ;

static int append(char *out, size_t len, size_t *used, const char *s)
{
	size_t l = strlen(s);
	if (l >= len - *used)
		return -ENAMETOOLONG;
	memcpy(out + *used, s, l + 1);
	*used += l;
	return 0;
}

int cw_forward_expand(const char *token, const struct cw_crash_info *c, const char *exe, int pidfd,
		      char *out, size_t len)
{
	size_t used = 0;
	char num[32];
	int r = 0;

	if (len == 0)
		return -EINVAL;
	out[0] = 0;
	for (const char *p = token; *p && r == 0; p++) {
		if (*p != '%' || !p[1]) {
			char ch[2] = { *p, 0 };
			r = append(out, len, &used, ch);
			continue;
		}
		const char *v = NULL;
		num[0] = 0;
		switch (*++p) {
		case '%': v = "%"; break;
		case 'P': case 'p': if (c->pid >= 0) snprintf(num, sizeof(num), "%d", (int)c->pid); break;
		case 'I': case 'i': if (c->tid >= 0) snprintf(num, sizeof(num), "%d", (int)c->tid); break;
		case 'u': if (c->uid >= 0) snprintf(num, sizeof(num), "%lld", (long long)c->uid); break;
		case 'g': if (c->gid >= 0) snprintf(num, sizeof(num), "%lld", (long long)c->gid); break;
		case 's': if (c->signal >= 0) snprintf(num, sizeof(num), "%d", c->signal); break;
		case 't': if (c->crash_time >= 0) snprintf(num, sizeof(num), "%lld", (long long)c->crash_time); break;
		case 'c': snprintf(num, sizeof(num), "%llu", (unsigned long long)c->core_rlimit); break;
		case 'd': if (c->dump_mode >= 0) snprintf(num, sizeof(num), "%d", c->dump_mode); break;
		case 'F': if (pidfd >= 0) snprintf(num, sizeof(num), "%d", pidfd); break;
		case 'h': v = c->hostname; break;
		case 'e': v = c->comm; break;
		case 'E': {
			/* the kernel's %E: the path with '/' replaced by '!' */
			const char *src = exe ? exe : "";
			for (; *src && r == 0; src++) {
				char ch[2] = { *src == '/' ? '!' : *src, 0 };
				r = append(out, len, &used, ch);
			}
			break;
		}
		default: break; /* unknown: nothing, like the kernel */
		}
		if (r == 0)
			r = append(out, len, &used, v ? v : num);
	}
	return r;
}

int cw_forward_start(const char *command, const struct cw_crash_info *c, const char *exe, struct cw_forward *f)
{
	_cleanup_free_ char *copy = strdup(command);
	_cleanup_close_ int pidfd = -1;
	char *argv[CW_FORWARD_MAX_ARGS + 1] = { 0 };
	int pipefd[2], argc = 0, r;
	posix_spawn_file_actions_t fa;

	f->pid = -1;
	f->fd = -1;
	if (!copy)
		return -ENOMEM;
	if (strstr(command, "crashwatch-collect"))
		return -ELOOP; /* never forward to ourselves */
	if (c->pid > 0)
		pidfd = (int)syscall(SYS_pidfd_open, c->pid, 0);
	if (pidfd >= 0)
		(void)fcntl(pidfd, F_SETFD, 0); /* pidfds are close-on-exec: the handler inherits it for %F */
	char *save = NULL;
	for (char *tok = strtok_r(copy, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		char buf[4096];
		if (argc == CW_FORWARD_MAX_ARGS) {
			r = -E2BIG;
			goto fail;
		}
		r = cw_forward_expand(tok, c, exe, pidfd, buf, sizeof(buf));
		if (r < 0)
			goto fail;
		argv[argc] = strdup(buf);
		if (!argv[argc]) {
			r = -ENOMEM;
			goto fail;
		}
		argc++;
	}
	if (argc == 0 || argv[0][0] != '/') {
		r = -EINVAL;
		goto fail;
	}
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		r = -errno;
		goto fail;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[0], STDIN_FILENO);
	r = -posix_spawn(&f->pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[0]);
	if (r < 0) {
		close(pipefd[1]);
		f->pid = -1;
		goto fail;
	}
	f->fd = pipefd[1];
	(void)fcntl(f->fd, F_SETPIPE_SZ, 1 << 20);
	(void)fcntl(f->fd, F_SETFL, O_NONBLOCK);
fail:
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	return r;
}

static void give_up(struct cw_forward *f)
{
	close(f->fd);
	f->fd = -1;
}

void cw_forward_write(struct cw_forward *f, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	while (f->fd >= 0 && len > 0) {
		ssize_t n = write(f->fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			/* A handler that stops reading must not hold the crashing
			 * process forever: no progress for a while, no forwarding. */
			struct pollfd pfd = { .fd = f->fd, .events = POLLOUT };
			int r = poll(&pfd, 1, CW_FORWARD_STALL_MSEC);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0 || (pfd.revents & (POLLERR | POLLHUP)))
				give_up(f);
			continue;
		}
		if (n <= 0) { /* EPIPE: the handler is gone; keep collecting */
			give_up(f);
			return;
		}
		p += n;
		len -= (size_t)n;
	}
}

void cw_forward_end(struct cw_forward *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}
