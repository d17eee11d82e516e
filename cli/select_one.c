/* The newest crash among the matches. */
#include "config.h"
#include "cli/select_one.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/match.h"

struct keep_ctx {
	struct cw_selected *sel;
	struct cw_crash_libraries *libs; /* NULL: not wanted */
	int err;
};

/* Copies c's kept libraries into x->libs (the record's are borrowed). */
static int keep_libraries(const struct cw_crash_record *c, struct cw_crash_libraries *libs)
{
	cw_crash_libraries_clear(libs);
	libs->truncated = c->libraries_truncated;
	if (!c->n_libraries)
		return 0;
	libs->v = calloc(c->n_libraries, sizeof(*libs->v));
	if (!libs->v)
		return -ENOMEM;
	for (size_t i = 0; i < c->n_libraries; i++) {
		const struct cw_crash_library *l = &c->libraries[i];
		struct cw_crash_library *d = &libs->v[libs->n++];
		d->path = l->path ? strdup(l->path) : NULL;
		d->build_id = l->build_id ? strdup(l->build_id) : NULL;
		d->copy = l->copy ? strdup(l->copy) : NULL;
		if ((l->path && !d->path) || (l->build_id && !d->build_id) || (l->copy && !d->copy))
			return -ENOMEM;
	}
	return 0;
}

static int keep(const struct cw_crash_record *c, void *ud)
{
	struct keep_ctx *x = ud;
	struct cw_selected *s = x->sel;
	s->id = c->id;
	const char *exe = c->exe_copy && access(c->exe_copy, R_OK) == 0 ? c->exe_copy : c->exe;
	snprintf(s->exe, sizeof(s->exe), "%s", exe ? exe : "");
	snprintf(s->go_version, sizeof(s->go_version), "%s", c->go_version ? c->go_version : "");
	if (x->libs) {
		int r = keep_libraries(c, x->libs);
		if (r < 0)
			x->err = r;
	}
	return 0;
}

int cw_select_one_libraries(struct cw_source *src, int nmatches, char **matches, struct cw_selected *out,
			    struct cw_crash_libraries *libs)
{
	/* the kept libraries come with the records info reads */
	struct cw_crash_filter f = { .newest = 1, .with_analysis = libs != NULL };
	for (int i = 0; i < nmatches; i++)
		if (cw_match_id_or_match(matches[i], &f) < 0)
			return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (libs)
		memset(libs, 0, sizeof(*libs));
	struct keep_ctx x = { .sel = out, .libs = libs };
	int r = cw_source_crashes(src, &f, keep, &x);
	if (r == 0)
		r = x.err;
	if (r < 0) {
		if (libs)
			cw_crash_libraries_clear(libs);
		return r;
	}
	return out->id ? 0 : -ENOENT;
}

int cw_select_one(struct cw_source *src, int nmatches, char **matches, struct cw_selected *out)
{
	return cw_select_one_libraries(src, nmatches, matches, out, NULL);
}
