/* The one parser of Go release names: "go1.22.3", "go1.18" (= go1.18.0),
 * "go1.26rc1", "go1.21beta2", "devel go1.27-abcdef ..." and the
 * "go1.24.4 X:experiment" form runtime.buildVersion can carry. Releases
 * order as the Go project orders them: devel < beta < rc < .0 < .1 ... */
#ifndef CW_ANALYZER_GO_VERSION_H
#define CW_ANALYZER_GO_VERSION_H

#include <stdbool.h>
#include <stddef.h>

enum cw_go_stage {
	CW_GO_DEVEL = 0,        /* "devel go1.27-abc": before every 1.27 release */
	CW_GO_BETA = 1,         /* "go1.21beta2" */
	CW_GO_RC = 2,           /* "go1.26rc1" */
	CW_GO_RELEASE = 3,      /* "go1.22.3", "go1.18" */
};

struct cw_go_version {
	int major;              /* 1 */
	int minor;              /* 22 */
	int patch;              /* 3; 0 for a prerelease or devel */
	enum cw_go_stage stage;
	int stage_num;          /* 2 for beta2 / rc2; 0 otherwise */
};

/* Parses the first "go1.N..." in s (a devel build names its base release
 * after "devel "): 0, or -EINVAL when s names no Go release. */
int cw_go_version_parse(const char *s, struct cw_go_version *out);
/* <0, 0, >0 as a is older than, the same as, newer than b. */
int cw_go_version_cmp(const struct cw_go_version *a, const struct cw_go_version *b);
/* a is b or newer. */
static inline bool cw_go_version_at_least(const struct cw_go_version *a, const struct cw_go_version *b)
{
	return cw_go_version_cmp(a, b) >= 0;
}
/* v when it names a release (major != 0), else the newest patch release of
 * minor: for contexts that name only a minor (unit tests, fuzzers). */
static inline struct cw_go_version cw_go_version_or_minor(const struct cw_go_version *v, int minor)
{
	if (v && v->major != 0)
		return *v;
	return (struct cw_go_version){ .major = 1, .minor = minor, .patch = 9999, .stage = CW_GO_RELEASE };
}
/* "go1.22.3", "go1.26rc1", "go1.21beta2", "devel go1.27" into buf (NUL-
 * terminated, truncated to len): the snprintf count. */
int cw_go_version_format(const struct cw_go_version *v, char *buf, size_t len);

#endif
