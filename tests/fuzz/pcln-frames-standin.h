/* Stand-ins for the pclntab's frame expansion shared by the fuzz harnesses
 * that replace the pclntab with a synthetic table (fuzz-go-goroutines,
 * fuzz-go-panic): odd pcs get one inlined frame "main.inlined". The
 * including harness defines cw_pcln_func(). Included once per harness. */
#ifndef CW_FUZZ_PCLN_FRAMES_STANDIN_H
#define CW_FUZZ_PCLN_FRAMES_STANDIN_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/go_pclntab.h"

int cw_pcln_frames(const struct cw_pcln *p, const struct cw_exe *exe, uint64_t pc,
		   struct cw_pcframe *frames, size_t max, size_t *n)
{
	(void)exe;
	struct cw_func f;
	*n = 0;
	int r = cw_pcln_func(p, pc, &f);
	if (r < 0)
		return r;
	size_t want = (pc & 1) ? 2 : 1;   /* odd pcs have an inlined frame */
	for (size_t i = 0; i < want; i++) {
		if (*n >= max)
			return -ENOBUFS;
		memset(&frames[*n], 0, sizeof(frames[*n]));
		frames[*n].name = strdup(i + 1 < want ? "main.inlined" : f.name);
		if (!frames[*n].name)
			return -ENOMEM;
		frames[*n].raw_name = f.name;
		frames[*n].file = "/src/x.go";
		frames[*n].line = (int32_t)(pc & 0xfff);
		frames[*n].inlined = i + 1 < want;
		(*n)++;
	}
	return 0;
}
void cw_pcframes_free(struct cw_pcframe *frames, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(frames[i].name);
		frames[i].name = NULL;
	}
}

#endif
