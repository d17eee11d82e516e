/* The analyzer's one public door: the CLI (`crashwatch analyze`, `info`),
 * the daemon's sandboxed child and the fuzz harnesses all enter here. */
#ifndef CW_ANALYZER_ANALYSIS_H
#define CW_ANALYZER_ANALYSIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "analyzer/model.h"

struct json_object;

#define CW_ANALYSIS_SCHEMA "crashwatch.analysis.v1"

struct cw_analyze_opts {
	bool native_unwind;          /* libdwfl frames for non-Go threads and cgo (default on) */
	size_t max_goroutines;       /* 0 = no limit */
	size_t max_frames;           /* per goroutine, 0 = the runtime's own limit (100) */
	const int *library_fds;      /* open shared libraries (not taken) native unwinding prefers by build id */
	size_t nlibrary_fds;
	void (*progress)(void *userdata, const char *stage, size_t done, size_t total);
	void *userdata;
};

void cw_analyze_opts_default(struct cw_analyze_opts *o);

/* Analyses CORE (raw or zstd) against executable EXE (may be NULL: then
 * only threads, signal and native frames). On failure returns a negative
 * errno and a one-line reason in err that names the file. */
int cw_analyze_files(const char *exe, const char *core, const struct cw_analyze_opts *o,
		     struct cw_analysis **out, char *err, size_t errlen);
/* The same on open descriptors (not taken; exe_fd -1 for none): the
 * privilege-separated analyzer (crashwatch-analyze) gets them from the
 * daemon. The paths only name the files in the analysis and its errors;
 * native unwinding (libdwfl) still opens the executable and the shared
 * libraries the core names, read-only. */
int cw_analyze_fds(int exe_fd, const char *exe_path, int core_fd, const char *core_path,
		   const struct cw_analyze_opts *o, struct cw_analysis **out, char *err, size_t errlen);

/* Writes the crashwatch.analysis.v1 JSON to out as a stream (bounded
 * memory, fast for 100,000 goroutines): 0 or -EIO. */
int cw_analysis_write_json(const struct cw_analysis *a, FILE *out, bool pretty);

/* The crashwatch.analysis.v1 JSON object (caller puts it). */
struct json_object *cw_analysis_to_json(const struct cw_analysis *a);

struct cw_text_opts {
	bool color;
	bool all_goroutines;         /* print every group in full (default: collapse large groups) */
};

/* The text report for people, rendered from the JSON (so stored analyses
 * render the same as fresh ones). */
int cw_report_text(struct json_object *analysis, FILE *out, const struct cw_text_opts *o);

/* SHA-256 fingerprint of a finished analysis (see docs/fingerprint.md). */
int cw_fingerprint(const struct cw_analysis *a, char out_hex[65]);

#endif
