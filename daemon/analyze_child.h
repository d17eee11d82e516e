/* One analysis in a privilege-separated child: crashwatchd forks, sets the
 * rlimits (address space from MemoryMax=, CPU time, no core, 64 files),
 * opens the core, drops to the [Analyze] User= (when the daemon runs as
 * root), opens the executable as that user and execs crashwatch-analyze, which
 * drops every capability and enters a seccomp allow-list before reading
 * the core. Killed after TimeoutSec=. The JSON comes back over a pipe. */
#ifndef CW_DAEMON_ANALYZE_CHILD_H
#define CW_DAEMON_ANALYZE_CHILD_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#define CW_ANALYSIS_OUTPUT_MAX (64U << 20)

struct cw_sandbox {
	bool drop;              /* switch to uid/gid before analysing */
	uid_t uid;
	gid_t gid;
	uint64_t memory_max;    /* RLIMIT_AS, 0 = unlimited */
	uint64_t timeout_sec;   /* wall clock and RLIMIT_CPU, 0 = unlimited */
	char analyzer[PATH_MAX]; /* the crashwatch-analyze program */
};

/* AddressSanitizer reserves terabytes of address space for its shadow:
 * such builds cannot apply RLIMIT_AS (MemoryMax=). */
#if defined(__SANITIZE_ADDRESS__)
#define CW_SANDBOX_HAS_AS_LIMIT 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CW_SANDBOX_HAS_AS_LIMIT 0
#endif
#endif
#ifndef CW_SANDBOX_HAS_AS_LIMIT
#define CW_SANDBOX_HAS_AS_LIMIT 1
#endif

/* Fills sb from the configuration, and sb->analyzer with the
 * crashwatch-analyze next to the running program (a build tree) or the
 * installed one in $(libexecdir). *user_missing is set when the daemon
 * runs as root and User= does not exist (the analysis then runs as root,
 * still with limits: the caller logs it). */
int cw_sandbox_from_config(const char *user, uint64_t memory_max, uint64_t timeout_sec,
			   struct cw_sandbox *sb, bool *user_missing);

/* ok: json is the analysis (NUL-terminated). Otherwise error says why
 * ("timed out after 120s", "killed by SIGSEGV", the analyzer's reason). */
typedef void (*cw_analysis_done_fn)(void *userdata, bool ok, const char *json, const char *error);

struct cw_analysis_job;
int cw_analysis_job_start(sd_event *ev, const struct cw_sandbox *sb, const char *exe, const char *core,
			  cw_analysis_done_fn done, void *userdata, struct cw_analysis_job **out);
/* The same, and this crash's kept libraries (absolute paths, at most
 * CW_ANALYSIS_LIBRARIES_MAX used): each is opened as the analysis user and
 * passed as a descriptor from 6 on (--library-fd=N); one left unreadable
 * is left out. */
#define CW_ANALYSIS_LIBRARIES_MAX 32
int cw_analysis_job_start_libs(sd_event *ev, const struct cw_sandbox *sb, const char *exe, const char *core,
			       const char *const *libs, size_t nlibs, cw_analysis_done_fn done, void *userdata,
			       struct cw_analysis_job **out);
/* Kills the child if it still runs; never calls done. */
void cw_analysis_job_free(struct cw_analysis_job *job);

#endif
