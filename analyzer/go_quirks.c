/* The table of Go runtime behaviours by release range (go_quirks.h). */
#include "analyzer/go_quirks.h"

#include <errno.h>
#include <stddef.h>

/* since/until: "go1.23" = from the minor's first build on (its devel,
 * beta and rc builds included), "go1.24.6" = from that patch release on;
 * until is the first release without the quirk, NULL when it still
 * holds. */
struct quirk_range {
	const char *name;
	const char *since;
	const char *until;
};

static const struct quirk_range quirks[CW_GO_QUIRK_COUNT] = {
	[CW_GO_QUIRK_GENTRACEBACK] = { "GENTRACEBACK", "go1.18", "go1.21" },
	[CW_GO_QUIRK_SIGNAL_TAKER_PRINTS] = { "SIGNAL_TAKER_PRINTS", "go1.18", "go1.21" },
	[CW_GO_QUIRK_PRINT_INDENTED] = { "PRINT_INDENTED", "go1.23", NULL },
	[CW_GO_QUIRK_KIND_MASKED] = { "KIND_MASKED", "go1.23", NULL },
	[CW_GO_QUIRK_REPANICKED_MARK] = { "REPANICKED_MARK", "go1.25", NULL },
	[CW_GO_QUIRK_REPANICKED_MARK_ALL] = { "REPANICKED_MARK_ALL", "go1.25", "go1.26" },
	[CW_GO_QUIRK_FLOAT_SHORTEST] = { "FLOAT_SHORTEST", "go1.26", NULL },
	[CW_GO_QUIRK_FATAL_PRINTS_PANICS] = { "FATAL_PRINTS_PANICS", "go1.26", NULL },
	[CW_GO_QUIRK_GDEADEXTRA] = { "GDEADEXTRA", "go1.26", NULL },
	[CW_GO_QUIRK_GLEAKED] = { "GLEAKED", "go1.26", NULL },
	[CW_GO_QUIRK_LABELS_PRINTED] = { "LABELS_PRINTED", "go1.26", NULL },
	[CW_GO_QUIRK_FUNCNAME_TWO_GROUPS] = { "FUNCNAME_TWO_GROUPS", "go1.27", NULL },
};

/* A bound: a whole minor ("go1.23") is its devel build, the oldest. */
static bool bound(const char *s, struct cw_go_version *out)
{
	if (!s || cw_go_version_parse(s, out) < 0)
		return false;
	const char *p = s;
	int dots = 0;
	for (; *p; p++)
		dots += *p == '.';
	if (dots == 1 && out->stage == CW_GO_RELEASE)
		*out = (struct cw_go_version){ .major = out->major, .minor = out->minor, .stage = CW_GO_DEVEL };
	return true;
}

bool cw_go_quirk(const struct cw_go_version *v, enum cw_go_quirk q)
{
	if (!v || (unsigned)q >= CW_GO_QUIRK_COUNT)
		return false;
	const struct quirk_range *r = &quirks[q];
	struct cw_go_version since, until;
	if (!bound(r->since, &since) || cw_go_version_cmp(v, &since) < 0)
		return false;
	return !bound(r->until, &until) || cw_go_version_cmp(v, &until) < 0;
}

const char *cw_go_quirk_name(enum cw_go_quirk q)
{
	return (unsigned)q < CW_GO_QUIRK_COUNT ? quirks[q].name : NULL;
}

int cw_go_quirk_range(enum cw_go_quirk q, const char **since, const char **until)
{
	if ((unsigned)q >= CW_GO_QUIRK_COUNT)
		return -EINVAL;
	if (since)
		*since = quirks[q].since;
	if (until)
		*until = quirks[q].until;
	return 0;
}
