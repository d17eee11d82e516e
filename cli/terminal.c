/* Pager and colour decisions for the CLI. */
#include "config.h"
#include "cli/terminal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The pager child, set once by cw_pager_open() (process-wide by nature:
 * stdout is process-wide). */
static pid_t pager_pid;

bool cw_use_color(void)
{
	const char *term = getenv("TERM");
	if (getenv("NO_COLOR"))
		return false;
	if (term && strcmp(term, "dumb") == 0)
		return false;
	return isatty(STDOUT_FILENO) == 1;
}

void cw_pager_open(bool disabled)
{
	if (disabled || pager_pid > 0 || !isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO))
		return;
	const char *pager = getenv("CRASHWATCH_PAGER");
	if (!pager)
		pager = getenv("PAGER");
	if (!pager)
		pager = "less";
	if (!*pager || strcmp(pager, "cat") == 0)
		return;
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return;
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return;
	}
	if (pid == 0) {
		dup2(p[0], STDIN_FILENO);
		setenv("LESS", "FRXSK", 0);
		execlp("/bin/sh", "sh", "-c", pager, (char *)NULL);
		_exit(127);
	}
	dup2(p[1], STDOUT_FILENO);
	close(p[0]);
	close(p[1]);
	signal(SIGPIPE, SIG_IGN);
	pager_pid = pid;
}

void cw_pager_close(void)
{
	if (pager_pid <= 0)
		return;
	fflush(stdout);
	fclose(stdout);
	close(STDOUT_FILENO);
	while (waitpid(pager_pid, NULL, 0) < 0 && errno == EINTR)
		;
	pager_pid = 0;
}
