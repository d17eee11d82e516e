/* Selection of the runtime layout table of a Go release (the tables are in
 * the generated go_layout_tables.c). */
#include "analyzer/go_layout.h"

#include <errno.h>
#include <string.h>

/* go_layout_tables.c */
extern const struct cw_go_layout *const cw_go_layout_tables[];
extern const size_t cw_go_layout_ntables;

struct field_desc {
	size_t offset;          /* offsetof(struct cw_go_layout, member) */
	const char *go_struct;
	const char *go_field;
};

static const struct field_desc field_descs[CW_GOF_COUNT] = {
#define CW_GO_LAYOUT_DESC(name, st, fld) [CW_GOF_##name] = { offsetof(struct cw_go_layout, name), st, fld },
	CW_GO_LAYOUT_FIELDS(CW_GO_LAYOUT_DESC)
#undef CW_GO_LAYOUT_DESC
};

size_t cw_go_layout_count(void)
{
	return cw_go_layout_ntables;
}

const struct cw_go_layout *cw_go_layout_at(size_t i)
{
	return i < cw_go_layout_ntables ? cw_go_layout_tables[i] : NULL;
}

/* The table's first release; tables whose `since` does not parse (never
 * for generated ones) sort as the minor's .0. */
static struct cw_go_version table_since(const struct cw_go_layout *l)
{
	struct cw_go_version v;
	if (cw_go_version_parse(l->since, &v) < 0)
		v = (struct cw_go_version){ .major = 1, .minor = l->go_minor, .stage = CW_GO_RELEASE };
	return v;
}

/* a's first release is older than b's */
static bool since_before(const struct cw_go_layout *a, const struct cw_go_layout *b)
{
	struct cw_go_version va = table_since(a), vb = table_since(b);
	return cw_go_version_cmp(&va, &vb) < 0;
}

const struct cw_go_layout *cw_go_layout_for_version(const struct cw_go_version *v, bool *approx)
{
	const struct cw_go_layout *best = NULL, *first = NULL, *newest = NULL;

	if (approx)
		*approx = false;
	if (!v || v->major != 1)
		return NULL;
	for (size_t i = 0; i < cw_go_layout_ntables; i++) {
		const struct cw_go_layout *l = cw_go_layout_tables[i];
		if (!newest || since_before(newest, l))
			newest = l;
		if (l->go_minor != v->minor)
			continue;
		if (!first || since_before(l, first))
			first = l;
		struct cw_go_version since = table_since(l);
		if (cw_go_version_cmp(&since, v) <= 0 && (!best || since_before(best, l)))
			best = l;
	}
	if (best)
		return best;
	if (first)
		return first;  /* a prerelease or devel build of a known minor */
	if (!newest || v->minor < newest->go_minor)
		return NULL;
	if (approx)
		*approx = true;
	return newest;
}

const struct cw_go_layout *cw_go_layout_exact(int go_minor)
{
	struct cw_go_version v = { .major = 1, .minor = go_minor, .patch = 9999, .stage = CW_GO_RELEASE };
	const struct cw_go_layout *l = cw_go_layout_for_version(&v, NULL);
	return l && l->go_minor == go_minor ? l : NULL;
}

const struct cw_go_layout *cw_go_layout_for(int go_minor, bool *approx)
{
	struct cw_go_version v = { .major = 1, .minor = go_minor, .patch = 9999, .stage = CW_GO_RELEASE };
	return cw_go_layout_for_version(&v, approx);
}

int cw_go_layout_set(struct cw_go_layout *l, enum cw_go_field_id id, struct cw_go_field f)
{
	if (!l || (unsigned)id >= CW_GOF_COUNT)
		return -EINVAL;
	memcpy((char *)l + field_descs[id].offset, &f, sizeof(f));
	return 0;
}

int cw_go_layout_field(const struct cw_go_layout *l, enum cw_go_field_id id,
		       struct cw_go_field *out, const char **go_struct, const char **go_field)
{
	if (!l || (unsigned)id >= CW_GOF_COUNT)
		return -EINVAL;
	const struct field_desc *d = &field_descs[id];
	if (out)
		memcpy(out, (const char *)l + d->offset, sizeof(*out));
	if (go_struct)
		*go_struct = d->go_struct;
	if (go_field)
		*go_field = d->go_field;
	return 0;
}
