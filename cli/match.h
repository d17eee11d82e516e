/* coredumpctl-style crash selection shared by list, info, dump and debug:
 * options --since/--until/--fingerprint/-1 and positional matches (a crash
 * ID is "#N" or "id:N", a number is a PID, a path is an executable, any
 * other word a command name). */
#ifndef CW_CLI_MATCH_H
#define CW_CLI_MATCH_H

#include <stdbool.h>

#include "storage/storage.h"

/* Applies one positional match to f; -EINVAL when it cannot be one. */
int cw_match_parse(const char *arg, struct cw_crash_filter *f);
/* --since / --until values (see cw_parse_time) in usec. */
int cw_match_time(const char *arg, int64_t *usec_out);
/* An ID argument for info/dump/debug: "N", "#N" -> crash id; else a match. */
int cw_match_id_or_match(const char *arg, struct cw_crash_filter *f);

#endif
