/* layout-check EXE: the generated runtime layout table that the analyzer
 * picks for EXE's Go release (build info) against EXE's own DWARF, field by
 * field. Prints "# release table-since probe found=N changed=N" and one
 * "differs: field table=off/size dwarf=off/size" line per difference.
 * Exit 0 when the DWARF has the fields and none differs, 1 otherwise, 2 on
 * unreadable input. For go-layout-dwarf.sh. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "analyzer/exe.h"
#include "analyzer/go_layout.h"
#include "analyzer/go_version.h"

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: layout-check EXE\n");
		return 2;
	}
	struct cw_exe *exe = NULL;
	struct cw_go_buildinfo *bi = NULL;
	struct cw_go_version v;
	int r = cw_exe_open(argv[1], &exe);
	if (r < 0 || (r = cw_exe_go_buildinfo(exe, &bi)) < 0 || cw_go_version_parse(bi->go_version, &v) < 0) {
		fprintf(stderr, "layout-check: %s: no Go build info: %s\n", argv[1], strerror(r < 0 ? -r : EINVAL));
		cw_go_buildinfo_free(bi);
		cw_exe_free(exe);
		return 2;
	}
	int rc = 1;
	const struct cw_go_layout *t = cw_go_layout_for_version(&v, NULL);
	if (!t || !cw_exe_has_dwarf(exe)) {
		printf("# %s: %s\n", bi->go_version, t ? "no DWARF" : "no layout table");
		goto out;
	}
	struct cw_go_layout d = *t;
	size_t nfound = 0, nchanged = 0;
	r = cw_go_layout_apply_dwarf(cw_exe_dwarf(exe), &d, &nfound, &nchanged);
	if (r < 0) {
		printf("# %s: DWARF layout: %s\n", bi->go_version, strerror(-r));
		goto out;
	}
	printf("# %s table %s (probe %s) found=%zu changed=%zu\n", bi->go_version, t->since, t->probe_version,
	       nfound, nchanged);
	for (int id = 0; id < CW_GOF_COUNT; id++) {
		struct cw_go_field a, b;
		const char *st = NULL, *fld = NULL;
		cw_go_layout_field(t, (enum cw_go_field_id)id, &a, &st, &fld);
		cw_go_layout_field(&d, (enum cw_go_field_id)id, &b, NULL, NULL);
		if (a.off != b.off || a.size != b.size)
			printf("differs: %s.%s table=%d/%d dwarf=%d/%d\n", st, fld, a.off, a.size, b.off, b.size);
	}
	/* the struct fields the m and g walks stand on must be in any binary */
	rc = nchanged == 0 && nfound > 0 && cw_go_has(d.m_alllink) && cw_go_has(d.g_goid) ? 0 : 1;
out:
	cw_go_buildinfo_free(bi);
	cw_exe_free(exe);
	return rc;
}
