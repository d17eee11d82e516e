/* The spool ID (common/spool_id.h): made by the collector, checked by the daemon. */
#include "config.h"
#include "common/spool_id.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/random.h>
#include <unistd.h>

#define TIME_DIGITS 16
#define PID_DIGITS_MAX 10
#define RANDOM_DIGITS 8

int cw_spool_new_id(uint64_t time_usec, pid_t pid, char *id, size_t len)
{
	uint32_t rnd;

	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
		rnd = (uint32_t)(time_usec ^ ((uint64_t)getpid() << 16));
	int n = snprintf(id, len, "%016" PRIu64 "-%d-%08" PRIx32, time_usec, (int)pid, rnd);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

bool cw_spool_id_valid(const char *s, size_t len)
{
	size_t i = 0, start;
	if (len < TIME_DIGITS + 1 + 1 + 1 + RANDOM_DIGITS || len > CW_SPOOL_ID_MAX)
		return false;
	for (; i < TIME_DIGITS; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	if (s[i++] != '-')
		return false;
	start = i;
	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++;
	if (i == start || i - start > PID_DIGITS_MAX || i >= len || s[i++] != '-')
		return false;
	if (len - i != RANDOM_DIGITS)
		return false;
	for (; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}
