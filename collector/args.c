/* The kernel's core_pattern arguments (CW_COLLECT_PATTERN_ARGS). The
 * kernel writes them, but a local user can also run the collector: every
 * value is checked. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "collector/collect.h"
#include "common/parse.h"

enum { A_PID, A_TID, A_UID, A_GID, A_SIG, A_TIME, A_RLIMIT, A_HOST, A_DUMP, A_PIDFD, A_COMM };

/* An empty value means "the kernel does not know this specifier". */
static int number(const char *s, uint64_t max, int64_t *out)
{
	uint64_t v;

	if (!*s) {
		*out = -1;
		return 0;
	}
	if (cw_parse_u64(s, 0, max, &v) < 0)
		return -EINVAL;
	*out = (int64_t)v;
	return 0;
}

int cw_crash_from_args(int argc, char *const *argv, struct cw_crash_info *c)
{
	int64_t v[A_PIDFD + 1];
	size_t used = 0;

	memset(c, 0, sizeof(*c));
	c->pidfd = -1;
	if (argc < A_COMM)
		return -EINVAL;
	for (int i = A_PID; i <= A_PIDFD; i++) {
		uint64_t max = i == A_PID || i == A_TID ? INT_MAX : i == A_SIG ? 128 : i == A_DUMP ? 2 :
			       i == A_PIDFD ? INT_MAX : i == A_TIME ? INT64_MAX : UINT32_MAX;
		if (i == A_HOST || i == A_RLIMIT)
			continue;
		if (number(argv[i], max, &v[i]) < 0)
			return -EINVAL;
	}
	if (v[A_PID] <= 0)
		return -EINVAL;
	if (!*argv[A_RLIMIT])
		c->core_rlimit = UINT64_MAX;
	else if (cw_parse_u64(argv[A_RLIMIT], 0, UINT64_MAX, &c->core_rlimit) < 0)
		return -EINVAL;
	c->pid = (pid_t)v[A_PID];
	c->tid = (pid_t)v[A_TID];
	c->uid = v[A_UID];
	c->gid = v[A_GID];
	c->signal = (int)v[A_SIG];
	c->crash_time = v[A_TIME];
	c->dump_mode = (int)v[A_DUMP];
	c->pidfd = (int)v[A_PIDFD];
	snprintf(c->hostname, sizeof(c->hostname), "%s", argv[A_HOST]);
	/* %e with spaces may arrive split by old kernels: join the rest. */
	for (int i = A_COMM; i < argc && used + 1 < sizeof(c->comm); i++) {
		int n = snprintf(c->comm + used, sizeof(c->comm) - used, "%s%s", i > A_COMM ? " " : "", argv[i]);
		if (n < 0)
			break;
		used += (size_t)n;
	}
	return 0;
}
