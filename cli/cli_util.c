/* Small formatting and error helpers for the verbs. */
#include "config.h"
#include "cli/cli.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/cwconfig.h"
#include "common/exit_codes.h"
#include "common/signal_name.h"

void cw_format_time(int64_t usec, char *buf, size_t len)
{
	time_t t = (time_t)(usec / 1000000);
	struct tm tm;
	if (!localtime_r(&t, &tm) || strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)t);
}

void cw_format_time_cached(struct cw_time_cache *tc, int64_t usec, char buf[32])
{
	int64_t t = usec / 1000000;
	int64_t minute = t >= 0 ? t / 60 : -1;
	if (minute < 0) {
		cw_format_time(usec, buf, 32);
		return;
	}
	if (tc->minute != minute) {
		char full[32];
		cw_format_time(minute * 60 * 1000000, full, sizeof(full));
		if (strlen(full) != 19) { /* not the usual form: no caching */
			cw_format_time(usec, buf, 32);
			return;
		}
		memcpy(tc->text, full, 17);
		tc->text[17] = '\0';
		tc->minute = minute;
	}
	unsigned sec = (unsigned)(t % 60);
	memcpy(buf, tc->text, 17);
	buf[17] = (char)('0' + sec / 10);
	buf[18] = (char)('0' + sec % 10);
	buf[19] = '\0';
}

const char *cw_cli_signal_name(int sig, char *buf, size_t len)
{
	if (!cw_signal_name(sig, buf, len)) /* called per row by list: printf only for a number */
		snprintf(buf, len, "%d", sig);
	return buf;
}

int cw_exit_for_errno(int r)
{
	switch (-r) {
	case 0: return CW_EXIT_OK;
	case ENOENT: return CW_EXIT_NOTFOUND;
	case ENODATA: return CW_EXIT_NOTFOUND;
	case EACCES:
	case EPERM: return CW_EXIT_PERMISSION;
	case ECONNREFUSED:
	case EAGAIN: return CW_EXIT_UNAVAILABLE;
	case EINVAL: return CW_EXIT_USAGE;
	default: return CW_EXIT_FAILURE;
	}
}

int cw_report_error(struct cw_source *s, const char *verb, int r)
{
	const char *msg = s ? cw_source_error(s) : NULL;
	if (r == -ENOENT && !msg)
		msg = "no matching crash";
	if (r == -ENODATA && !msg)
		msg = "the core of this crash is not stored (removed by retention, or never stored)";
	fprintf(stderr, "crashwatch %s: %s\n", verb, msg ? msg : strerror(-r));
	if (s && !cw_source_is_direct(s) && (r == -ENOENT || r == -ECONNREFUSED))
		return r == -ENOENT && cw_source_error(s) && strstr(cw_source_error(s), "reach") ?
		       CW_EXIT_UNAVAILABLE : cw_exit_for_errno(r);
	return cw_exit_for_errno(r);
}

void cw_set_config_path(const char *path)
{
	if (path)
		setenv(CW_CONFIG_ENV, path, 1);
}
