/* The collection code shared by crashwatch-collect (the kernel's pipe
 * handler) and crashwatchd's @socket entry point: one crash in, one spool
 * entry out (see docs/spool.md). */
#ifndef CW_COLLECTOR_COLLECT_H
#define CW_COLLECTOR_COLLECT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/cwconfig.h"

/* The arguments crashwatch-collect asks the kernel for, in this order
 * (%e last: a comm may hold spaces on kernels that split after expanding).
 * %F (pidfd) and %d (dump mode) expand to nothing on kernels without them. */
#define CW_COLLECT_PATTERN_ARGS "%P %i %u %g %s %t %c %h %d %F %e"
#define CW_COLLECT_PATTERN_NARGS 11
/* The kernel's core_pattern limit (CORENAME_MAX_SIZE) including the NUL. */
#define CW_CORE_PATTERN_MAX 128

/* What the kernel tells about one crash. Unknown numbers are -1. */
struct cw_crash_info {
	pid_t pid;            /* %P, initial pid namespace */
	pid_t tid;            /* %i, the process's pid namespace (as in NT_PRSTATUS) */
	int64_t uid;          /* %u */
	int64_t gid;          /* %g */
	int signal;           /* %s */
	int64_t crash_time;   /* %t, seconds since the epoch */
	uint64_t core_rlimit; /* %c */
	int dump_mode;        /* %d: 1 normal, 2 root-only (suid_dumpable=2) */
	int pidfd;            /* %F or SO_PEERPIDFD, -1 if none; not owned */
	char hostname[256];   /* %h */
	char comm[64];        /* %e */
};

enum cw_collect_entry { CW_COLLECT_PIPE, CW_COLLECT_SOCKET };

/* What happened to one crash. */
struct cw_collect_result {
	char id[64];                /* spool ID, "" when nothing was written */
	bool record_written;
	bool core_stored;
	bool truncated;
	bool dropped;               /* recursion / own crash: nothing written */
	bool forwarded;             /* also handed to ForwardTo= */
	bool named_like_collector;  /* carries the collector's name but is not it (recorded) */
	uint64_t size;              /* bytes read from the core stream */
	uint64_t stored_size;
	uint64_t compressed_size;
	const char *reason;         /* dropped_reason of docs/spool.md, or NULL */
};

/* Parses the core_pattern arguments (argv after the options, in
 * CW_COLLECT_PATTERN_ARGS order). Returns 0 or -EINVAL. */
int cw_crash_from_args(int argc, char *const *argv, struct cw_crash_info *c);

/* Socket mode: fills pid/uid/gid/comm from a pidfd (SO_PEERPIDFD) through
 * /proc; signal and the rest stay unknown (-1) and come from the core. */
int cw_crash_from_pidfd(int pidfd, struct cw_crash_info *c);

/* Collects one crash: reads its metadata (pidfd-verified /proc, else the
 * core's notes), drains core_fd to EOF into the spool under cfg's storage
 * directory, writes the record last. Takes core_fd: it is closed as soon
 * as it is drained (for the kernel, that releases the crashing process).
 * Never waits for anyone. Returns 0 when the crash was handled (including
 * "metadata only" and "dropped"), a negative errno when nothing could be
 * written (the core is still drained).
 * Socket mode (core_pattern "@PATH", Linux >= 6.16): the daemon accepts the
 * kernel's connection, gets a pidfd with getsockopt(SO_PEERPIDFD), fills c
 * with cw_crash_from_pidfd() and calls this with entry CW_COLLECT_SOCKET
 * and the connection as core_fd. */
int cw_collect(const struct cw_config *cfg, const struct cw_crash_info *c, enum cw_collect_entry entry,
	       int core_fd, struct cw_collect_result *res);

/* The record alone, for a crash whose core never comes: the @@ socket
 * rejected it before the kernel wrote it (reason "crash-loop"). Reads the
 * metadata while the kernel still holds the process. */
int cw_collect_without_core(const struct cw_config *cfg, const struct cw_crash_info *c,
			    enum cw_collect_entry entry, const char *reason, struct cw_collect_result *res);

#endif
