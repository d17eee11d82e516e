/* Selection of the runtime layout table of a Go release (the tables are in
 * the generated go_layout_tables.c). */
#include "analyzer/go_layout.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
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

const struct cw_go_layout *cw_go_layout_exact(int go_minor)
{
	for (size_t i = 0; i < cw_go_layout_ntables; i++)
		if (cw_go_layout_tables[i]->go_minor == go_minor)
			return cw_go_layout_tables[i];
	return NULL;
}

const struct cw_go_layout *cw_go_layout_for(int go_minor, bool *approx)
{
	const struct cw_go_layout *newest = NULL;

	if (approx)
		*approx = false;
	const struct cw_go_layout *l = cw_go_layout_exact(go_minor);
	if (l)
		return l;
	for (size_t i = 0; i < cw_go_layout_ntables; i++)
		if (!newest || cw_go_layout_tables[i]->go_minor > newest->go_minor)
			newest = cw_go_layout_tables[i];
	if (!newest || go_minor < newest->go_minor)
		return NULL;
	if (approx)
		*approx = true;
	return newest;
}

int cw_go_parse_minor(const char *version, int *minor)
{
	if (!version)
		return -EINVAL;
	const char *p = strstr(version, "go1.");
	if (!p)
		return -EINVAL;
	p += 4;
	if (*p < '0' || *p > '9')
		return -EINVAL;
	long v = 0;
	for (int i = 0; i < 4 && *p >= '0' && *p <= '9'; i++, p++)
		v = v * 10 + (*p - '0');
	if (*p >= '0' && *p <= '9')
		return -EINVAL;
	*minor = (int)v;
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
