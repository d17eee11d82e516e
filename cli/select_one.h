/* Picking exactly one crash for dump and debug: an ID, or the newest match. */
#ifndef CW_CLI_SELECT_ONE_H
#define CW_CLI_SELECT_ONE_H

#include <stdint.h>

#include "cli/crash_source.h"
#include "storage/crash_libraries.h"

struct cw_selected {
	int64_t id;
	char exe[4096];       /* executable to debug with: the kept copy when present */
	char go_version[64];
};

/* Matches (NULL: newest crash). -ENOENT when nothing matches. */
int cw_select_one(struct cw_source *src, int nmatches, char **matches, struct cw_selected *out);
/* The same, with the crash's kept libraries (a container's: debug's
 * sysroot) into *libs, which the caller clears (cw_crash_libraries_clear). */
int cw_select_one_libraries(struct cw_source *src, int nmatches, char **matches, struct cw_selected *out,
			    struct cw_crash_libraries *libs);

#endif
