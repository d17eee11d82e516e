/* Parsers for configuration and command-line values. All return 0 or -EINVAL/-ERANGE. */
#ifndef CW_COMMON_PARSE_H
#define CW_COMMON_PARSE_H

#include <stdbool.h>
#include <stdint.h>

/* "1024", "64K", "1.5G", "32G", "infinity" (UINT64_MAX); base 1024. */
int cw_parse_size(const char *s, uint64_t *out);
/* "30", "30s", "5min", "2h", "7d", "1w", "infinity"; result in seconds. */
int cw_parse_timespan(const char *s, uint64_t *out_sec);
/* yes/no, true/false, on/off, 1/0 */
int cw_parse_bool(const char *s, bool *out);
/* A whole decimal number within [min, max]. */
int cw_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
int cw_parse_int(const char *s, int min, int max, int *out);
/* A time for --since/--until: unix seconds, "YYYY-MM-DD[ HH:MM[:SS]]",
 * "today", "yesterday", "now", or "-1h"-style relative offsets. */
int cw_parse_time(const char *s, int64_t now, int64_t *out);

#endif
