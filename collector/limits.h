/* The collector's limits: store-wide MaxUse/KeepFree and the per-executable
 * rate limit (state under STORAGE/collect-state, see docs/spool.md). */
#ifndef CW_COLLECTOR_LIMITS_H
#define CW_COLLECTOR_LIMITS_H

#include <stdint.h>

#include "common/cwconfig.h"

struct cw_store_limits {
	uint64_t max_use;     /* resolved, bytes */
	uint64_t keep_free;   /* resolved, bytes */
	uint64_t used;        /* bytes used by the store when measured */
	uint64_t avail;       /* bytes available on its file system then */
};

/* Resolves automatic values (MaxUse 10%, KeepFree 15% of the file system,
 * each at most 4 GiB) and measures the store (spool/, cores/, executables/). */
int cw_store_limits_init(const struct cw_config *cfg, int storage_fd, struct cw_store_limits *l);

/* May `more` bytes (counted from the measurement) be added now? 0, or
 * -EDQUOT (MaxUse) / -ENOSPC (KeepFree). Free space is the smaller of what
 * the file system says now and what was free minus `more`, so that writes
 * still queued count already. */
int cw_store_limits_check(const struct cw_store_limits *l, int storage_fd, uint64_t more);

/* Counts one crash of `key` (the executable) at `now`; 0 when within
 * RateLimitBurst per RateLimitIntervalSec, -EBUSY past it. */
int cw_rate_limit_hit(const struct cw_config *cfg, int storage_fd, const char *key, int64_t now);

/* 1 when crashwatchd marked exe (with this build id, crashing as uid) as in a crash loop
 * whose cores it has, until a time not past `now`: the core is a repeat
 * and is not stored (its record is). 0 otherwise. */
int cw_loop_marker_hit(int storage_fd, const char *exe, int64_t uid, const char *build_id, int64_t now);
/* crashwatchd: marks exe's crash loop until `until` (unix seconds). */
int cw_loop_marker_set(int storage_fd, const char *exe, int64_t uid, const char *build_id, int64_t until);
/* crashwatchd's retention: removes the markers whose UNTIL is before now
 * (and temporary files of a marker write older than an hour). Returns how
 * many went (bounded scan), or a negative errno. */
int cw_loop_markers_prune(int storage_fd, int64_t now);

#endif
