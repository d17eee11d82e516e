/* Signal names and descriptions (common/signal_name.h). */
#include "config.h"
#include "common/signal_name.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *cw_signal_name(int signo, char *buf, size_t len)
{
	const char *abbrev = signo > 0 ? sigabbrev_np(signo) : NULL;
	size_t k = abbrev ? strlen(abbrev) : 0;
	if (!abbrev || len < k + 4)
		return NULL;
	memcpy(buf, "SIG", 3);
	memcpy(buf + 3, abbrev, k + 1);
	return buf;
}

char *cw_signal_name_alloc(int signo)
{
	char buf[CW_SIGNAL_NAME_MAX], *s = NULL;
	if (cw_signal_name(signo, buf, sizeof(buf)))
		return strdup(buf);
	return asprintf(&s, "signal %d", signo) < 0 ? NULL : s;
}

const char *cw_signal_description(const char *name)
{
	static const struct { const char *name, *text; } tab[] = {
		{ "SIGSEGV", "segmentation violation" }, { "SIGBUS", "bus error" },
		{ "SIGFPE", "floating-point exception" }, { "SIGILL", "illegal instruction" },
		{ "SIGTRAP", "trace trap" },
	};
	for (size_t i = 0; name && i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strcmp(tab[i].name, name) == 0)
			return tab[i].text;
	return NULL;
}
