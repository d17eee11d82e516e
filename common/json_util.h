/* json-c helpers for every wing that builds or parses JSON. */
#ifndef CW_COMMON_JSON_UTIL_H
#define CW_COMMON_JSON_UTIL_H

#include <json-c/json.h>

#include "common/cleanup.h"

static inline void cw_json_putp(struct json_object **o)
{
	if (*o)
		json_object_put(*o);
}

/* A json_object reference dropped at the end of the scope. */
#define _cleanup_json_ CW_CLEANUP(cw_json_putp)

#endif
