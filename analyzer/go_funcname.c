/* runtime.funcNameForPrint (traceback.go, 1.21+): the text between the
 * first '[' and the last ']' of a generic instantiation's name becomes
 * "...". The 1.18-1.20 linkers store names already shortened this way
 * (cmd/link nameParts), which this leaves unchanged. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "analyzer/go_pclntab.h"

char *cw_go_func_name_for_print(const char *raw)
{
	if (!raw)
		return NULL;
	const char *open = strchr(raw, '[');
	const char *close = strrchr(raw, ']');
	if (!open || !close || close <= open)
		return strdup(raw);
	size_t head = (size_t)(open - raw), tail = strlen(close + 1);
	char *s = malloc(head + 5 + tail + 1);
	if (!s)
		return NULL;
	memcpy(s, raw, head);
	memcpy(s + head, "[...]", 5);
	memcpy(s + head + 5, close + 1, tail + 1);
	return s;
}
