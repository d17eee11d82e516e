/* The runtime layout from the binary's own DWARF (go_layout.h): what the
 * generated tables say is checked against what the linker wrote, and wins
 * where they differ (a patch release that moved a field and is not in the
 * tables yet). The same resolution as tests/go/layoutgen: a struct by name
 * (the first alternative present), a dotted path of members, typedefs
 * stripped; "sizeof" is the struct's byte size. */
#include "config.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "analyzer/go_layout.h"

/* Hostile DWARF: bounds on what is visited. */
#define MAX_CUS 100000
#define MAX_TOP_DIES (4u << 20)
#define MAX_MEMBERS 4096
#define MAX_TYPEDEFS 8
#define MAX_NAME 128

struct wanted {
	char name[MAX_NAME];
	Dwarf_Die die;
	bool found;
};

/* The structs named in CW_GO_LAYOUT_FIELDS ('|' alternatives), at most. */
#define MAX_WANTED 64

struct dwarf_scan {
	struct wanted w[MAX_WANTED];
	size_t nw, nfound;
};

static void want(struct dwarf_scan *s, const char *names)
{
	const char *p = names;
	while (*p) {
		size_t n = strcspn(p, "|");
		if (n > 0 && n < MAX_NAME) {
			bool dup = false;
			for (size_t i = 0; i < s->nw && !dup; i++)
				dup = strlen(s->w[i].name) == n && memcmp(s->w[i].name, p, n) == 0;
			if (!dup && s->nw < MAX_WANTED) {
				memcpy(s->w[s->nw].name, p, n);
				s->w[s->nw].name[n] = '\0';
				s->nw++;
			}
		}
		p += n;
		if (*p == '|')
			p++;
	}
}

static struct wanted *wanted_by_name(struct dwarf_scan *s, const char *name, size_t len)
{
	for (size_t i = 0; i < s->nw; i++)
		if (strlen(s->w[i].name) == len && memcmp(s->w[i].name, name, len) == 0)
			return &s->w[i];
	return NULL;
}

/* Every top-level struct DIE of every CU, until all wanted are found. */
static int scan(Dwarf *dw, struct dwarf_scan *s)
{
	Dwarf_Off off = 0, next;
	size_t hsize, ncu = 0, ndie = 0;
	while (s->nfound < s->nw && ncu++ < MAX_CUS &&
	       dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu, d;
		if (dwarf_offdie(dw, off + hsize, &cu) && dwarf_child(&cu, &d) == 0) {
			do {
				if (++ndie > MAX_TOP_DIES)
					return -E2BIG;
				if (dwarf_tag(&d) != DW_TAG_structure_type)
					continue;
				const char *n = dwarf_diename(&d);
				struct wanted *w = n ? wanted_by_name(s, n, strlen(n)) : NULL;
				if (w && !w->found) {
					w->die = d;
					w->found = true;
					s->nfound++;
				}
			} while (dwarf_siblingof(&d, &d) == 0);
		}
		off = next;
	}
	return 0;
}

static bool udata_attr(Dwarf_Die *d, unsigned name, Dwarf_Word *out)
{
	Dwarf_Attribute a;
	return dwarf_attr(d, name, &a) && dwarf_formudata(&a, out) == 0;
}

/* The type of d with typedefs stripped. */
static bool type_of(Dwarf_Die *d, Dwarf_Die *out)
{
	Dwarf_Attribute a;
	if (!dwarf_attr(d, DW_AT_type, &a) || !dwarf_formref_die(&a, out))
		return false;
	for (int i = 0; i < MAX_TYPEDEFS && dwarf_tag(out) == DW_TAG_typedef; i++)
		if (!dwarf_attr(out, DW_AT_type, &a) || !dwarf_formref_die(&a, out))
			return false;
	return dwarf_tag(out) != DW_TAG_typedef;
}

/* The byte size of type t: DW_AT_byte_size, which Go's linker leaves out
 * of pointer types (the CU's address size then), else libdw's reckoning. */
static bool type_size(Dwarf_Die *t, Dwarf_Word *out)
{
	if (udata_attr(t, DW_AT_byte_size, out))
		return true;
	if (dwarf_tag(t) == DW_TAG_pointer_type) {
		uint8_t asize = 0;
		if (!dwarf_diecu(t, &(Dwarf_Die){ 0 }, &asize, NULL) || asize == 0)
			return false;
		*out = asize;
		return true;
	}
	return dwarf_aggregate_size(t, out) == 0;
}

/* The member named name[0..len) of struct st. */
static bool member(Dwarf_Die *st, const char *name, size_t len, Dwarf_Die *out)
{
	Dwarf_Die m;
	if (dwarf_child(st, &m) != 0)
		return false;
	size_t n = 0;
	do {
		if (++n > MAX_MEMBERS)
			return false;
		const char *mn = dwarf_diename(&m);
		if (dwarf_tag(&m) == DW_TAG_member && mn && strlen(mn) == len && memcmp(mn, name, len) == 0) {
			*out = m;
			return true;
		}
	} while (dwarf_siblingof(&m, &m) == 0);
	return false;
}

/* Offset and size of the dotted path in struct st: true when resolved. */
static bool resolve(Dwarf_Die *st, const char *path, size_t plen, struct cw_go_field *out)
{
	Dwarf_Word size;
	if (plen == 6 && memcmp(path, "sizeof", 6) == 0) {
		if (!udata_attr(st, DW_AT_byte_size, &size) || size > INT32_MAX)
			return false;
		*out = (struct cw_go_field){ 0, (int32_t)size };
		return true;
	}
	Dwarf_Die cur = *st;
	uint64_t off = 0;
	const char *p = path, *end = path + plen;
	while (p < end) {
		const char *dot = memchr(p, '.', (size_t)(end - p));
		size_t n = dot ? (size_t)(dot - p) : (size_t)(end - p);
		Dwarf_Die m, t;
		Dwarf_Word moff;
		if (!member(&cur, p, n, &m) || !udata_attr(&m, DW_AT_data_member_location, &moff) ||
		    !type_of(&m, &t))
			return false;
		off += moff;
		if (off > INT32_MAX)
			return false;
		if (!dot) {
			if (!type_size(&t, &size) || size > INT32_MAX)
				return false;
			*out = (struct cw_go_field){ (int32_t)off, (int32_t)size };
			return true;
		}
		if (dwarf_tag(&t) != DW_TAG_structure_type)
			return false;
		cur = t;
		p = dot + 1;
	}
	return false;
}

int cw_go_layout_apply_dwarf(void *dwarf, struct cw_go_layout *l, size_t *nfound, size_t *nchanged)
{
	Dwarf *dw = dwarf;
	if (!dw || !l)
		return -EINVAL;
	struct dwarf_scan s = { .nw = 0 };
	for (int id = 0; id < CW_GOF_COUNT; id++) {
		const char *st = NULL;
		if (cw_go_layout_field(l, (enum cw_go_field_id)id, NULL, &st, NULL) == 0)
			want(&s, st);
	}
	int r = scan(dw, &s);
	if (r < 0)
		return r;
	if (s.nfound == 0)
		return -ENOENT;
	size_t found = 0, changed = 0;
	for (int id = 0; id < CW_GOF_COUNT; id++) {
		const char *sts = NULL, *flds = NULL;
		struct cw_go_field have;
		if (cw_go_layout_field(l, (enum cw_go_field_id)id, &have, &sts, &flds) < 0)
			continue;
		/* the first struct alternative present, as layoutgen */
		struct wanted *w = NULL;
		for (const char *p = sts; *p && !w;) {
			size_t n = strcspn(p, "|");
			struct wanted *c = wanted_by_name(&s, p, n);
			if (c && c->found)
				w = c;
			p += n;
			if (*p == '|')
				p++;
		}
		if (!w)
			continue;   /* no such struct in this binary's DWARF: keep the table's */
		struct cw_go_field f = { -1, -1 };
		for (const char *p = flds; *p;) {
			size_t n = strcspn(p, "|");
			if (resolve(&w->die, p, n, &f))
				break;
			f = (struct cw_go_field){ -1, -1 };
			p += n;
			if (*p == '|')
				p++;
		}
		if (!cw_go_has(f))
			continue;   /* unresolved here: the table's value stands */
		found++;
		if (f.off != have.off || f.size != have.size) {
			changed++;
			r = cw_go_layout_set(l, (enum cw_go_field_id)id, f);
			if (r < 0)
				return r;
		}
	}
	if (nfound)
		*nfound = found;
	if (nchanged)
		*nchanged = changed;
	return 0;
}
