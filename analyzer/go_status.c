/* Goroutine header status, as runtime.goroutineheader prints it. */
#include "analyzer/go_runtime.h"

#include <errno.h>
#include <stdio.h>

#include "analyzer/go_layout.h"

const struct cw_go_strings *cw_go_strings_for(int go_minor)
{
	const struct cw_go_strings *newest = NULL;

	for (size_t i = 0; i < cw_go_strings_ntables; i++) {
		if (cw_go_strings_tables[i].go_minor == go_minor)
			return &cw_go_strings_tables[i];
		if (!newest || cw_go_strings_tables[i].go_minor > newest->go_minor)
			newest = &cw_go_strings_tables[i];
	}
	return newest && go_minor > newest->go_minor ? newest : NULL;
}

int cw_go_format_status(const struct cw_go_strings *s, bool gleaked, uint32_t atomicstatus, uint8_t waitreason,
			int64_t waitsince, int64_t now_ns, char *buf, size_t len, int64_t *wait_minutes)
{
	if (!s || !buf || len == 0)
		return -EINVAL;
	bool scan = (atomicstatus & CW_G_SCAN) != 0;
	uint32_t st = atomicstatus & ~(uint32_t)CW_G_SCAN;
	const char *name = "???";
	const char *extra = "";

	if (st < s->ngstatus_names && s->gstatus_names[st])
		name = s->gstatus_names[st];
	/* _Gleaked (the quirk GLEAKED) prints its wait reason too, with
	 * " (leaked)". */
	bool leaked = st == CW_G_LEAKED && gleaked;
	if ((st == CW_G_WAITING || leaked) && waitreason != 0)
		name = waitreason < s->nwait_reasons && s->wait_reasons[waitreason]
			       ? s->wait_reasons[waitreason] : "unknown wait reason";
	if (leaked)
		extra = " (leaked)";
	int n = snprintf(buf, len, "%s%s%s", name, extra, scan ? " (scan)" : "");
	if (n < 0)
		return -EINVAL;
	if (wait_minutes) {
		*wait_minutes = 0;
		if ((st == CW_G_WAITING || st == CW_G_SYSCALL) && waitsince != 0 && now_ns > waitsince)
			*wait_minutes = (int64_t)(((uint64_t)now_ns - (uint64_t)waitsince) / 60000000000ULL);
	}
	return 0;
}
