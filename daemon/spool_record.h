/* The collector's ID.meta record (docs/spool.md), parsed as hostile input. */
#ifndef CW_DAEMON_SPOOL_RECORD_H
#define CW_DAEMON_SPOOL_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/storage.h"

#define CW_SPOOL_RECORD_MAX (4U << 20) /* bytes of an ID.meta we accept */
#define CW_SPOOL_LIBRARIES_MAX 32      /* kept libraries of one crash we pass on */

struct cw_spool_record {
	char *id;
	int64_t time_usec;
	int64_t pid, tid, uid, gid;
	int signal;
	bool restricted;
	char *host, *boot_id, *comm, *exe, *build_id, *executable_copy;
	char *cmdline;          /* argv joined with spaces */
	char **environment;     /* "KEY=value", NULL-terminated: the few variables the collector keeps */
	char *unit;
	char *container;        /* "yes" when in a container, else NULL */
	char *container_info[CW_CRASH_CONTAINER_NFIELDS]; /* "container_info", in cw_crash_container_fields order */
	bool core_stored, core_truncated;
	int64_t core_size;      /* decompressed bytes stored */
	int64_t core_compressed_size;
	char *dropped_reason;
	/* "libraries": the kept copies of a container's libraries, relative
	 * to STORAGE, each "executables/" and a hex build id; beside each, its
	 * path in the container (absolute, NULL when missing or unusable) and
	 * its build id (lower-case hex, else NULL) */
	char *library_copies[CW_SPOOL_LIBRARIES_MAX];
	char *library_paths[CW_SPOOL_LIBRARIES_MAX];
	char *library_build_ids[CW_SPOOL_LIBRARIES_MAX];
	size_t n_libraries;
	bool libraries_truncated; /* the collector's flag, or more than we pass on */
};

/* Parses len bytes of ID.meta; -EBADMSG when it is not a valid record. */
int cw_spool_record_parse(const char *buf, size_t len, struct cw_spool_record *out);
void cw_spool_record_clear(struct cw_spool_record *r);

#endif
