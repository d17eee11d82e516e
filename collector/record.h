/* The .meta record (docs/spool.md) as JSON, built with json-c. */
#ifndef CW_COLLECTOR_RECORD_H
#define CW_COLLECTOR_RECORD_H

#include <stdbool.h>
#include <stdint.h>

#include "collector/collect.h"
#include "collector/procinfo.h"

#define CW_RECORD_SCHEMA "crashwatch.record.v1"

struct cw_record {
	const char *id;
	enum cw_collect_entry entry;
	uint64_t time_usec;
	const struct cw_crash_info *crash;
	const struct cw_procinfo *proc;
	const struct cw_collect_result *result;
	bool restricted;
	bool user_readable;           /* the crashing uid may read the core (ACL) */
	const char *boot_id;          /* may be NULL */
	const char *executable_copy;  /* relative to STORAGE, may be NULL */
	const char *core_file;        /* name in the spool, NULL when not stored */
	const char *forwarded_to;     /* ForwardTo= command line, NULL when not forwarded */
};

/* Serialises rec into a malloc'd NUL-terminated JSON text. */
int cw_record_to_json(const struct cw_record *rec, char **out);

#endif
