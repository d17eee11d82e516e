/* Where the CLI reads crashes from: the database directly (root), or the
 * daemon's query socket (everyone else: the daemon applies SO_PEERCRED). */
#ifndef CW_CLI_CRASH_SOURCE_H
#define CW_CLI_CRASH_SOURCE_H

#include <stdbool.h>

#include "common/cwconfig.h"
#include "storage/storage.h"
#include "storage/crash_summary.h"

struct json_object;
struct cw_source;

/* Loads the configuration (--config, $CRASHWATCH_CONFIG, default) and
 * opens the source. Prints the reason and returns an exit code on failure. */
int cw_source_open(const char *config_path, struct cw_source **out);
void cw_source_close(struct cw_source *s);
const struct cw_config *cw_source_config(struct cw_source *s);
bool cw_source_is_direct(struct cw_source *s);

/* Crashes matching f, oldest first; with_analysis fills analysis_json. */
int cw_source_crashes(struct cw_source *s, const struct cw_crash_filter *f, cw_crash_cb cb, void *ud);
/* The same for listings: only what `crashwatch list` prints (straight from
 * the crashes_list index when reading SQLite directly). */
int cw_source_summaries(struct cw_source *s, const struct cw_crash_filter *f, cw_crash_summary_cb cb, void *ud);
/* `crashwatch list`'s table: start(any_container, ud) once before the
 * first row (any_container: some crash f matches has a container), then cb
 * per summary. Direct: the container indexes, then the crashes_list index;
 * through the daemon: one "summaries" request, whose answer says both (an
 * older daemon's does not say any_container: its summaries are looked at). */
typedef void (*cw_list_start_cb)(bool any_container, void *ud);
int cw_source_list(struct cw_source *s, const struct cw_crash_filter *f, cw_list_start_cb start,
		   cw_crash_summary_cb cb, void *ud);
int cw_source_groups(struct cw_source *s, cw_group_cb cb, void *ud);
/* {"crashes":N,...} plus "daemon":true/false */
int cw_source_status(struct cw_source *s, struct json_object **out);
/* An object whose "crash_loops" is the array `status` shows, without the
 * whole status (its counts scan every crash): read from the database in
 * direct mode, else the daemon's "loops" answer (an older daemon's status
 * when it does not know the verb). */
int cw_source_crash_loops(struct cw_source *s, struct json_object **out);
/* Opens the stored (compressed) core of crash id. */
int cw_source_open_core(struct cw_source *s, int64_t id, int *fd_out);

/* An error message for the last failure, if the daemon sent one. */
const char *cw_source_error(struct cw_source *s);

#endif
