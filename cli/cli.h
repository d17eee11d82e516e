/* Helpers shared by crashwatch's verbs (the files in cli/). */
#ifndef CW_CLI_CLI_H
#define CW_CLI_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "cli/crash_source.h"
#include "storage/storage.h"

/* "2026-11-25 01:02:03" local time. */
void cw_format_time(int64_t usec, char *buf, size_t len);
/* The same for long listings: reuses the last minute's broken-down time. */
struct cw_time_cache {
	int64_t minute;         /* unix minute of text, -1 = empty */
	char text[32];          /* "YYYY-MM-DD HH:MM:" */
};
void cw_format_time_cached(struct cw_time_cache *tc, int64_t usec, char buf[32]);
/* "SIGSEGV" or the number. */
const char *cw_cli_signal_name(int sig, char *buf, size_t len);
/* Exit code for a negative errno from the crash source. */
int cw_exit_for_errno(int r);
/* Prints "crashwatch VERB: what: reason" (the daemon's message when it sent one). */
int cw_report_error(struct cw_source *s, const char *verb, int r);
/* --config on any verb: same effect as $CRASHWATCH_CONFIG. */
void cw_set_config_path(const char *path);
/* Runs crashwatch-full with argv (crashwatch's own command line); returns
 * an exit code only when that fails (cli/exec_full.c). */
int cw_cli_exec_full(char **argv);

#endif
