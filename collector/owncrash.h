/* Recognising the collector's own crash (which must be drained and
 * dropped, never recorded) by what the crashing user cannot forge, and
 * noticing a process that only borrows the collector's name. */
#ifndef CW_COLLECTOR_OWNCRASH_H
#define CW_COLLECTOR_OWNCRASH_H

#include <stdbool.h>

#include "collector/collect.h"
#include "collector/procinfo.h"

/* The kernel's 15-character comm of crashwatch-collect. */
#define CW_COLLECTOR_COMM "crashwatch-coll"

/* Whether the kernel marks this invocation as a recursion: it gives its
 * core_pattern helpers RLIMIT_CORE=1 (%c = 1), and refuses by itself to
 * pipe the core of any other process whose limit is 1, so no user can
 * reach the collector with this value. */
bool cw_is_recursion(const struct cw_crash_info *c);

/* Whether the crashing process is this collector program running as the
 * kernel's helper: /proc/PID/exe (opened through the pidfd-verified
 * /proc/PID, p->exe_fd) is the same file (device and inode) as
 * /proc/self/exe, and the process runs as root with every id 0 (the
 * kernel's usermode helper does; a user who runs the installed binary runs
 * it as themselves). Needs p->from_proc: without verified /proc nothing is
 * proven and the crash is recorded. */
bool cw_is_own_crash(const struct cw_procinfo *p);

/* Whether the crash only carries the collector's name (%e, /proc comm,
 * the executable's or argv[0]'s base name): any user can choose those, so
 * this never drops a crash; the record says so ("collector_name_matched"). */
bool cw_named_like_collector(const struct cw_crash_info *c, const struct cw_procinfo *p);

#endif
