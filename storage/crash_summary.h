/* A crash as `crashwatch list` shows it, read from the list_summary column
 * (one trigger-maintained text per crash, see migrations.c): views into the
 * stored text, so a listing copies and converts nothing it only prints. */
#ifndef CW_STORAGE_CRASH_SUMMARY_H
#define CW_STORAGE_CRASH_SUMMARY_H

#include <stddef.h>
#include <stdint.h>

#include "storage/storage.h"

/* Bytes that are not NUL-terminated. */
struct cw_text {
	const char *p;
	size_t len;
};

struct cw_crash_summary {
	struct cw_text raw;          /* the whole stored text */
	int64_t id, time_usec;
	struct cw_text id_text, pid_text, uid_text; /* decimal, as stored */
	int signal;
	enum cw_core_state core_state;
	enum cw_analysis_status analysis_status;
	struct cw_text fingerprint;  /* its first 12 digits; len 0: none */
	struct cw_text exe;          /* else comm; len 0: neither */
	struct cw_text container;    /* container name, else its id's first 12 digits; len 0: none */
	struct cw_text message;      /* len 0: none */
};

/* Parses one list_summary text (fields separated by U+001F: id, time_usec,
 * pid, uid, signal, core_state, analysis_status, fingerprint prefix, exe
 * or comm, container (migration 6), message). The views point into s. -EBADMSG when it is not one. */
int cw_crash_summary_parse(const char *s, size_t len, struct cw_crash_summary *out);

/* Calls cb for every matching crash, oldest first, from the crashes_list
 * covering index; the summary is valid during the call only. f->with_analysis
 * is ignored. A non-zero return from cb stops the walk and is returned. */
typedef int (*cw_crash_summary_cb)(const struct cw_crash_summary *s, void *userdata);
int cw_crashes_foreach_summary(struct cw_db *db, const struct cw_crash_filter *f, cw_crash_summary_cb cb,
			       void *userdata);

#endif
