/* The names of a crash's core state and analysis status, as stored. */
#include "config.h"
#include "storage/storage.h"

#include <errno.h>
#include <string.h>

#include "common/cleanup.h"

static const char *const core_state_names[] = {
	[CW_CORE_STORED] = "stored",
	[CW_CORE_TRUNCATED] = "truncated",
	[CW_CORE_METADATA_ONLY] = "metadata-only",
	[CW_CORE_REMOVED] = "removed",
};
static const char *const analysis_status_names[] = {
	[CW_ANALYSIS_PENDING] = "pending",
	[CW_ANALYSIS_OK] = "ok",
	[CW_ANALYSIS_FAILED] = "failed",
};

const char *cw_core_state_name(enum cw_core_state s)
{
	return (unsigned)s < CW_ARRAY_SIZE(core_state_names) ? core_state_names[s] : "?";
}

/* The index of the name that is exactly s[0..len), or -EINVAL (the first
 * letters differ: per row of a listing, one full compare). */
static int lookup(const char *const *names, size_t n, const char *s, size_t len)
{
	for (size_t i = 0; s && len && i < n; i++)
		if (names[i][0] == s[0] && strlen(names[i]) == len && memcmp(s, names[i], len) == 0)
			return (int)i;
	return -EINVAL;
}

int cw_core_state_from_text(const char *s, size_t len, enum cw_core_state *out)
{
	int i = lookup(core_state_names, CW_ARRAY_SIZE(core_state_names), s, len);
	if (i < 0)
		return i;
	*out = (enum cw_core_state)i;
	return 0;
}

int cw_core_state_from_name(const char *s, enum cw_core_state *out)
{
	return s ? cw_core_state_from_text(s, strlen(s), out) : -EINVAL;
}

const char *cw_analysis_status_name(enum cw_analysis_status s)
{
	return (unsigned)s < CW_ARRAY_SIZE(analysis_status_names) ? analysis_status_names[s] : "?";
}

int cw_analysis_status_from_text(const char *s, size_t len, enum cw_analysis_status *out)
{
	int i = lookup(analysis_status_names, CW_ARRAY_SIZE(analysis_status_names), s, len);
	if (i < 0)
		return i;
	*out = (enum cw_analysis_status)i;
	return 0;
}

enum cw_analysis_status cw_analysis_status_from_name(const char *s)
{
	enum cw_analysis_status as = CW_ANALYSIS_PENDING;
	if (s)
		(void)cw_analysis_status_from_text(s, strlen(s), &as);
	return as;
}
