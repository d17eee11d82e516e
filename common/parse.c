#include "config.h"
#include "common/parse.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

int cw_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	if (!s || !*s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (*end != '\0')
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int cw_parse_int(const char *s, int min, int max, int *out)
{
	char *end;
	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (*end != '\0' || end == s)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = (int)v;
	return 0;
}

/* Parses "<number>[.<fraction>]<unit>" where unit is looked up in table. */
struct unit { const char *suffix; uint64_t factor; };

static int parse_with_units(const char *s, const struct unit *units, size_t nunits, uint64_t *out)
{
	if (!s)
		return -EINVAL;
	while (isspace((unsigned char)*s))
		s++;
	if (strcasecmp(s, "infinity") == 0) {
		*out = UINT64_MAX;
		return 0;
	}
	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno == ERANGE || end == s || !isfinite(v) || v < 0)
		return -ERANGE;
	while (isspace((unsigned char)*end))
		end++;
	for (size_t i = 0; i < nunits; i++) {
		if (strcmp(end, units[i].suffix) == 0) {
			double r = v * (double)units[i].factor;
			if (r >= 18446744073709551615.0)
				return -ERANGE;
			*out = (uint64_t)r;
			return 0;
		}
	}
	return -EINVAL;
}

int cw_parse_size(const char *s, uint64_t *out)
{
	static const struct unit units[] = {
		{ "", 1 }, { "B", 1 },
		{ "K", 1ULL << 10 }, { "KB", 1ULL << 10 }, { "KiB", 1ULL << 10 },
		{ "M", 1ULL << 20 }, { "MB", 1ULL << 20 }, { "MiB", 1ULL << 20 },
		{ "G", 1ULL << 30 }, { "GB", 1ULL << 30 }, { "GiB", 1ULL << 30 },
		{ "T", 1ULL << 40 }, { "TB", 1ULL << 40 }, { "TiB", 1ULL << 40 },
	};
	return parse_with_units(s, units, sizeof(units) / sizeof(units[0]), out);
}

int cw_parse_timespan(const char *s, uint64_t *out_sec)
{
	static const struct unit units[] = {
		{ "", 1 }, { "s", 1 }, { "sec", 1 },
		{ "m", 60 }, { "min", 60 },
		{ "h", 3600 }, { "hour", 3600 },
		{ "d", 86400 }, { "day", 86400 }, { "days", 86400 },
		{ "w", 604800 }, { "week", 604800 }, { "weeks", 604800 },
	};
	return parse_with_units(s, units, sizeof(units) / sizeof(units[0]), out_sec);
}

int cw_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "1", "yes", "y", "true", "on" };
	static const char *const no[] = { "0", "no", "n", "false", "off" };
	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	return -EINVAL;
}

int cw_parse_time(const char *s, int64_t now, int64_t *out)
{
	if (!s || !*s)
		return -EINVAL;
	if (strcmp(s, "now") == 0) {
		*out = now;
		return 0;
	}
	if (strcmp(s, "today") == 0 || strcmp(s, "yesterday") == 0) {
		time_t t = (time_t)now;
		struct tm tm;
		localtime_r(&t, &tm);
		tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
		if (s[0] == 'y')
			tm.tm_mday -= 1;
		tm.tm_isdst = -1;
		*out = (int64_t)mktime(&tm);
		return 0;
	}
	if (s[0] == '-' || s[0] == '+') {
		uint64_t span;
		int r = cw_parse_timespan(s + 1, &span);
		if (r < 0)
			return r;
		if (span > (uint64_t)INT64_MAX / 2)
			return -ERANGE;
		*out = s[0] == '-' ? now - (int64_t)span : now + (int64_t)span;
		return 0;
	}
	uint64_t secs;
	if (cw_parse_u64(s, 0, (uint64_t)INT64_MAX, &secs) == 0) {
		*out = (int64_t)secs;
		return 0;
	}
	static const char *const formats[] = { "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S",
					       "%Y-%m-%d %H:%M", "%Y-%m-%d" };
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		struct tm tm;
		memset(&tm, 0, sizeof(tm));
		const char *end = strptime(s, formats[i], &tm);
		if (end && *end == '\0') {
			tm.tm_isdst = -1;
			*out = (int64_t)mktime(&tm);
			return 0;
		}
	}
	return -EINVAL;
}
