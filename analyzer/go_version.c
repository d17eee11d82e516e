/* Parsing and ordering of Go release names (analyzer/go_version.h). */
#include "analyzer/go_version.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* At most 4 decimal digits at *p: 0 and *p advanced, -EINVAL otherwise. */
static int number(const char **p, int *out)
{
	const char *s = *p;
	int v = 0, n = 0;
	while (*s >= '0' && *s <= '9') {
		if (++n > 4)
			return -EINVAL;
		v = v * 10 + (*s++ - '0');
	}
	if (n == 0)
		return -EINVAL;
	*out = v;
	*p = s;
	return 0;
}

int cw_go_version_parse(const char *s, struct cw_go_version *out)
{
	if (!s || !out)
		return -EINVAL;
	const char *p = strstr(s, "go1.");
	if (!p)
		return -EINVAL;
	struct cw_go_version v = { .major = 1, .stage = CW_GO_RELEASE };
	bool devel = strncmp(s, "devel", 5) == 0 && p > s;
	p += 4;
	if (number(&p, &v.minor) < 0)
		return -EINVAL;
	if (devel) {
		v.stage = CW_GO_DEVEL;
	} else if (*p == '.') {
		p++;
		if (number(&p, &v.patch) < 0)
			return -EINVAL;
	} else if (strncmp(p, "rc", 2) == 0 || strncmp(p, "beta", 4) == 0) {
		v.stage = *p == 'r' ? CW_GO_RC : CW_GO_BETA;
		p += v.stage == CW_GO_RC ? 2 : 4;
		if (number(&p, &v.stage_num) < 0)
			return -EINVAL;
	}
	/* what follows is a separator ("go1.24.4 X:...", "devel go1.27-abc")
	 * or the end; "go1.22.3x" is no release name */
	if (!devel && *p != '\0' && *p != ' ' && *p != '-' && *p != '+')
		return -EINVAL;
	*out = v;
	return 0;
}

static int cmp_int(int a, int b)
{
	return (a > b) - (a < b);
}

int cw_go_version_cmp(const struct cw_go_version *a, const struct cw_go_version *b)
{
	int c = cmp_int(a->major, b->major);
	if (!c)
		c = cmp_int(a->minor, b->minor);
	if (!c)
		c = cmp_int((int)a->stage, (int)b->stage);
	if (!c)
		c = cmp_int(a->stage_num, b->stage_num);
	if (!c)
		c = cmp_int(a->patch, b->patch);
	return c;
}

int cw_go_version_format(const struct cw_go_version *v, char *buf, size_t len)
{
	switch (v->stage) {
	case CW_GO_DEVEL:
		return snprintf(buf, len, "devel go%d.%d", v->major, v->minor);
	case CW_GO_BETA:
		return snprintf(buf, len, "go%d.%dbeta%d", v->major, v->minor, v->stage_num);
	case CW_GO_RC:
		return snprintf(buf, len, "go%d.%drc%d", v->major, v->minor, v->stage_num);
	case CW_GO_RELEASE:
		break;
	}
	return snprintf(buf, len, "go%d.%d.%d", v->major, v->minor, v->patch);
}
