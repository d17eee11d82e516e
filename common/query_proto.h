/* The query protocol between crashwatch (unprivileged users) and
 * crashwatchd (daemon/query_socket.c): one JSON request line, one JSON
 * response, then EOF. Both programs link this one parser and formatter.
 *   {"verb":"list"|"summaries"|"info"|"groups"|"status"|"dump"|"loops",
 *    "filter":{"id":N,"pid":N,"match":"...","fingerprint":"...",
 *              "since_usec":N,"until_usec":N,"newest":N,
 *              "container":"...","pod":"...","namespace":"...","unit":"..."}}
 * Responses: {"ok":true,"crashes":[...]} / {"ok":true,"groups":[...]} /
 * summaries: {"ok":true,"summaries":["list_summary text", ...],
 * "any_container":BOOL} (what `crashwatch list` prints, see
 * storage/crash_summary.h; any_container: some crash the filter matches
 * has a container, from the container indexes; daemons before it did not
 * send it, a CLI then looks at the summaries themselves) /
 * {"ok":true,"status":{...}} / dump: {"ok":true,"crash":{...}} with the
 * stored core's fd attached (SCM_RIGHTS) /
 * loops (the filter is ignored): {"ok":true,"crash_loops":[...]}, status's
 * "crash_loops" without the rest of status (storage/crash_json.h); errors:
 * {"ok":false,"errno":N,"error":"..."}. A well-formed request with a verb
 * the daemon does not know is answered errno EOPNOTSUPP ("unknown verb");
 * daemons before "loops" answered it EBADMSG ("malformed request"), and a
 * CLI getting either for "loops" falls back to "status".
 * The daemon answers with the peer's SO_PEERCRED uid applied: a user
 * sees only their own, non-restricted crashes (and loops); root sees all. */
#ifndef CW_COMMON_QUERY_PROTO_H
#define CW_COMMON_QUERY_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/crash_filter.h"

#define CW_QUERY_REQUEST_MAX 65536
#define CW_QUERY_STRING_MAX 4096

enum cw_query_verb {
	CW_QUERY_LIST, CW_QUERY_INFO, CW_QUERY_GROUPS, CW_QUERY_STATUS, CW_QUERY_DUMP, CW_QUERY_SUMMARIES,
	CW_QUERY_LOOPS,
};

struct cw_query_request {
	enum cw_query_verb verb;
	struct cw_crash_filter filter;   /* its strings point into the arrays below */
	char match[CW_QUERY_STRING_MAX];
	char fingerprint[80];
	char container[CW_QUERY_STRING_MAX], pod[CW_QUERY_STRING_MAX]; /* migration 6 filters */
	char pod_namespace[CW_QUERY_STRING_MAX], unit[CW_QUERY_STRING_MAX];
};

/* Parses a request (hostile input); -EBADMSG when malformed, -EOPNOTSUPP
 * when well-formed but for a verb this build does not know. */
int cw_query_request_parse(const char *buf, size_t len, struct cw_query_request *out);
/* Writes a request for the CLI (malloc'd JSON text with a final newline). */
int cw_query_request_format(enum cw_query_verb verb, const struct cw_crash_filter *f, char **out);
const char *cw_query_verb_name(enum cw_query_verb v);

#endif
