/* What a reader selects among stored crashes: the filter of `crashwatch
 * list`/`info`/`groups`, carried by the query protocol (common/query_proto.h)
 * and applied by storage (storage/crashes.c). */
#ifndef CW_COMMON_CRASH_FILTER_H
#define CW_COMMON_CRASH_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cw_crash_filter {
	int64_t id;                  /* > 0: only this crash */
	int64_t pid;                 /* > 0 */
	const char *match;           /* exe path (contains '/') or comm / exe basename */
	const char *fingerprint;     /* full or a prefix of at least 4 hex digits */
	int64_t since_usec, until_usec; /* 0: unbounded */
	bool restrict_uid;           /* unprivileged reader: only uid, never restricted crashes */
	int64_t uid;
	size_t newest;               /* > 0: only the N newest (still printed oldest first) */
	bool with_analysis;          /* fill analysis_json */
	const char *container;       /* container id (full or a prefix of >= 4) or name */
	const char *pod;             /* pod name or UID */
	const char *pod_namespace;
	const char *unit;            /* systemd unit */
};

#endif
