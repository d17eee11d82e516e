/* ForwardTo=: hand every core to another handler too (e.g. the previous
 * core_pattern, systemd-coredump), teeing the stream into its stdin. */
#ifndef CW_COLLECTOR_FORWARD_H
#define CW_COLLECTOR_FORWARD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "collector/collect.h"

#define CW_FORWARD_MAX_ARGS 64
/* A handler that accepts nothing for this long is dropped. */
#define CW_FORWARD_STALL_MSEC 5000

struct cw_forward {
	pid_t pid;       /* the handler, -1 when none */
	int fd;          /* its stdin, -1 when closed or broken */
};

/* Expands one core_pattern-style token (%P %p %i %I %u %g %s %t %c %h %e
 * %E %d %F %%; unknown specifiers expand to nothing) into out. pidfd is
 * the number given for %F (-1: empty), exe the executable path or NULL. */
int cw_forward_expand(const char *token, const struct cw_crash_info *c, const char *exe, int pidfd,
		      char *out, size_t len);

/* Starts `command` (split on spaces, then expanded, like the kernel does)
 * with a pipe on its stdin. Never waits for it. */
int cw_forward_start(const char *command, const struct cw_crash_info *c, const char *exe, struct cw_forward *f);

/* Writes to the handler; a handler that exits, or accepts nothing for
 * CW_FORWARD_STALL_MSEC, only stops the forwarding. */
void cw_forward_write(struct cw_forward *f, const void *buf, size_t len);

/* Closes the handler's stdin (it sees EOF); does not wait for it. */
void cw_forward_end(struct cw_forward *f);

#endif
