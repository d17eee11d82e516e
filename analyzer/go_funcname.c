/* runtime.funcNamePiecesForPrint (traceback.go, 1.21+): the text between
 * the first '[' and the last ']' of a generic instantiation's name becomes
 * "...". From Go 1.27 (quirk FUNCNAME_TWO_GROUPS) a name with two
 * top-level groups, "pkg.(*T[shape]).M[shape]", keeps what stands between
 * them, and a name whose brackets do not balance is printed whole. Earlier
 * compilers make two groups too (a closure of a generic function calling
 * a method of a generic type: "main.f[shape].func2.(*T[shape]).m.func1"),
 * which their runtimes print as "main.f[...]).m.func1": the rule goes by
 * the release. The 1.18-1.20 linkers store names already shortened
 * (cmd/link nameParts), which this leaves unchanged. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "analyzer/go_pclntab.h"

/* head "[...]" mid ["[...]"] tail */
static char *join(const char *head, size_t nhead, const char *mid, size_t nmid, bool second, const char *tail)
{
	size_t ntail = strlen(tail);
	char *s = malloc(nhead + 5 + nmid + (second ? 5 : 0) + ntail + 1);
	if (!s)
		return NULL;
	char *p = s;
	memcpy(p, head, nhead);
	p += nhead;
	memcpy(p, "[...]", 5);
	p += 5;
	memcpy(p, mid, nmid);
	p += nmid;
	if (second) {
		memcpy(p, "[...]", 5);
		p += 5;
	}
	memcpy(p, tail, ntail + 1);
	return s;
}

char *cw_go_func_name_for_print(const char *raw, bool two_groups)
{
	if (!raw)
		return NULL;
	const char *open = strchr(raw, '[');
	const char *close = strrchr(raw, ']');
	if (!open || !close || close <= open)
		return strdup(raw);
	const char *in = open + 1;            /* the interior: [in, close) */
	size_t nin = (size_t)(close - in), nhead = (size_t)(open - raw);
	if (!two_groups || !memchr(in, '[', nin))
		return join(raw, nhead, "", 0, false, close + 1);
	/* the first ']' closing the opening group, then the next '[' at the
	 * top level: "(*T[" interior "]).M[" interior "]" */
	int depth = 1;
	size_t rbr = 0, lbr = 0;
	bool have_rbr = false, have_lbr = false;
	for (size_t k = 0; k < nin; k++) {   /* bounded by the name's length */
		if (in[k] == '[') {
			if (++depth != 1)
				continue;
			lbr = k;
			have_lbr = true;
			break;
		}
		if (in[k] == ']') {
			if (--depth < 0)
				break;
			if (depth == 0) {
				rbr = k;
				have_rbr = true;
			}
		}
	}
	if (depth == 1 && have_rbr && have_lbr && lbr > rbr)
		return join(raw, nhead, in + rbr + 1, lbr - rbr - 1, true, close + 1);
	if (depth == 1 && !have_rbr && !have_lbr)
		return join(raw, nhead, "", 0, false, close + 1);
	return strdup(raw);   /* malformed: the whole name */
}
