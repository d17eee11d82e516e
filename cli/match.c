/* Parsing crash matches from the command line. */
#include "config.h"
#include "cli/match.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "common/parse.h"

static bool is_hex(const char *s)
{
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

int cw_match_parse(const char *arg, struct cw_crash_filter *f)
{
	uint64_t n;
	if (!arg || !*arg)
		return -EINVAL;
	if (arg[0] == '#' && cw_parse_u64(arg + 1, 1, INT64_MAX, &n) == 0) {
		f->id = (int64_t)n;
		return 0;
	}
	if (strncmp(arg, "id:", 3) == 0 && cw_parse_u64(arg + 3, 1, INT64_MAX, &n) == 0) {
		f->id = (int64_t)n;
		return 0;
	}
	if (strncmp(arg, "fingerprint:", 12) == 0 && strlen(arg + 12) >= 4 && is_hex(arg + 12)) {
		f->fingerprint = arg + 12;
		return 0;
	}
	if (cw_parse_u64(arg, 1, INT32_MAX, &n) == 0) {
		f->pid = (int64_t)n;
		return 0;
	}
	if (strncmp(arg, "COREDUMP_PID=", 13) == 0 && cw_parse_u64(arg + 13, 1, INT32_MAX, &n) == 0) {
		f->pid = (int64_t)n;
		return 0;
	}
	if (f->match)
		return -EINVAL; /* one name at a time */
	f->match = arg;
	return 0;
}

int cw_match_time(const char *arg, int64_t *usec_out)
{
	int64_t t;
	int r = cw_parse_time(arg, (int64_t)time(NULL), &t);
	if (r < 0)
		return r;
	*usec_out = t * 1000000;
	return 0;
}

int cw_match_id_or_match(const char *arg, struct cw_crash_filter *f)
{
	uint64_t n;
	/* for info/dump/debug a bare number is the crash ID, as list prints it */
	if (cw_parse_u64(arg, 1, INT64_MAX, &n) == 0) {
		f->id = (int64_t)n;
		return 0;
	}
	return cw_match_parse(arg, f);
}

bool cw_match_container_opt(int c, const char *arg, struct cw_crash_filter *f)
{
	switch (c) {
	case CW_MATCH_OPT_CONTAINER: f->container = arg; return true;
	case CW_MATCH_OPT_POD: f->pod = arg; return true;
	case CW_MATCH_OPT_NAMESPACE: f->pod_namespace = arg; return true;
	case CW_MATCH_OPT_UNIT: f->unit = arg; return true;
	}
	return false;
}
