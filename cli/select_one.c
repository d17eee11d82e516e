/* The newest crash among the matches. */
#include "config.h"
#include "cli/select_one.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/match.h"

static int keep(const struct cw_crash_record *c, void *ud)
{
	struct cw_selected *s = ud;
	s->id = c->id;
	const char *exe = c->exe_copy && access(c->exe_copy, R_OK) == 0 ? c->exe_copy : c->exe;
	snprintf(s->exe, sizeof(s->exe), "%s", exe ? exe : "");
	snprintf(s->go_version, sizeof(s->go_version), "%s", c->go_version ? c->go_version : "");
	return 0;
}

int cw_select_one(struct cw_source *src, int nmatches, char **matches, struct cw_selected *out)
{
	struct cw_crash_filter f = { .newest = 1 };
	for (int i = 0; i < nmatches; i++)
		if (cw_match_id_or_match(matches[i], &f) < 0)
			return -EINVAL;
	memset(out, 0, sizeof(*out));
	int r = cw_source_crashes(src, &f, keep, out);
	if (r < 0)
		return r;
	return out->id ? 0 : -ENOENT;
}
