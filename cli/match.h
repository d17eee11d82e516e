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

/* The container filters of list and info: --container, --pod, --namespace,
 * --unit (long options only; CW_MATCH_CONTAINER_OPTIONS goes into the
 * getopt_long table). */
#define CW_MATCH_OPT_CONTAINER 'C'
#define CW_MATCH_OPT_POD 'p'
#define CW_MATCH_OPT_NAMESPACE 'N'
#define CW_MATCH_OPT_UNIT 'u'
#define CW_MATCH_CONTAINER_OPTIONS                                                   \
	{ "container", required_argument, NULL, CW_MATCH_OPT_CONTAINER },            \
	{ "pod", required_argument, NULL, CW_MATCH_OPT_POD },                        \
	{ "namespace", required_argument, NULL, CW_MATCH_OPT_NAMESPACE },            \
	{ "unit", required_argument, NULL, CW_MATCH_OPT_UNIT }
#define CW_MATCH_CONTAINER_USAGE                                                      \
	"      --container ID|NAME only crashes in this container (id prefix or name)\n" \
	"      --pod NAME|UID      only crashes in this Kubernetes pod\n"                \
	"      --namespace NS      only crashes in pods of this Kubernetes namespace\n"  \
	"      --unit UNIT         only crashes of this systemd unit\n"
/* Applies getopt's option c to f: true when c is one of them. */
bool cw_match_container_opt(int c, const char *arg, struct cw_crash_filter *f);

#endif
