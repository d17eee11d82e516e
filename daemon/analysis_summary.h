/* The columns the history keeps from an analysis (message, Go version,
 * fault location ...), read from its crashwatch.analysis.v1 JSON. */
#ifndef CW_DAEMON_ANALYSIS_SUMMARY_H
#define CW_DAEMON_ANALYSIS_SUMMARY_H

#include <stdint.h>

struct json_object;

struct cw_analysis_summary {
	const char *go_version, *go_module, *fingerprint, *build_id;
	char *message;          /* the final panic's message, or the fatal error */
	char *fault_location;   /* "function file:line" */
	int64_t crashed_goroutine, goroutine_count;
	int signal;             /* from the core's NT_SIGINFO, 0 when absent */
};

/* Strings are borrowed from a except message and fault_location. */
int cw_analysis_summary_get(struct json_object *a, struct cw_analysis_summary *out);
void cw_analysis_summary_clear(struct cw_analysis_summary *s);

#endif
