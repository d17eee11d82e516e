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

int cw_core_state_from_name(const char *s, enum cw_core_state *out)
{
	for (size_t i = 0; s && i < CW_ARRAY_SIZE(core_state_names); i++)
		if (strcmp(s, core_state_names[i]) == 0) {
			*out = (enum cw_core_state)i;
			return 0;
		}
	return -EINVAL;
}

const char *cw_analysis_status_name(enum cw_analysis_status s)
{
	return (unsigned)s < CW_ARRAY_SIZE(analysis_status_names) ? analysis_status_names[s] : "?";
}

enum cw_analysis_status cw_analysis_status_from_name(const char *s)
{
	for (size_t i = 0; s && i < CW_ARRAY_SIZE(analysis_status_names); i++)
		if (strcmp(s, analysis_status_names[i]) == 0)
			return (enum cw_analysis_status)i;
	return CW_ANALYSIS_PENDING;
}
