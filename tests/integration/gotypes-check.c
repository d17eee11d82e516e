/* gotypes-check: test driver for analyzer/go_types.c on real cores
 * (tests/integration/go-types.sh). Usage: gotypes-check BINARY CORE
 * with tests/go/typenames' output on stdin ("typeaddr kind iserror name"
 * per line). Decodes each type descriptor from the core and prints one
 * line per mismatch; exits 0 when every line matched, 1 when some did
 * not, 2 when the inputs cannot be opened. */
#include "config.h"

#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/core_file.h"
#include "analyzer/exe.h"
#include "analyzer/go_ctx.h"
#include "analyzer/go_layout.h"
#include "analyzer/go_panic.h"
#include "analyzer/go_types.h"
#include "analyzer/memory.h"
#include "common/cleanup.h"

CW_DEFINE_CLEANUP(struct cw_exe *, cw_exe_free)
CW_DEFINE_CLEANUP(struct cw_core *, cw_core_free)
CW_DEFINE_CLEANUP(struct cw_pcln *, cw_pcln_free)
CW_DEFINE_CLEANUP(struct cw_mem *, cw_mem_free)
CW_DEFINE_CLEANUP(struct cw_go_buildinfo *, cw_go_buildinfo_free)

static int check_line(const struct cw_go_types *t, const char *line, unsigned *bad)
{
	uint64_t addr;
	int kind, n = 0;
	char iserr[8], name[512];
	if (sscanf(line, "%" SCNx64 " %d %7s %n", &addr, &kind, iserr, &n) != 3 || n <= 0)
		return -EINVAL;
	snprintf(name, sizeof(name), "%s", line + n);
	name[strcspn(name, "\n")] = '\0';

	_cleanup_free_ char *got = NULL;
	int r = cw_go_type_name(t, addr, &got);
	if (r < 0) {
		printf("%s: type name at 0x%" PRIx64 ": %s\n", name, addr, strerror(-r));
		(*bad)++;
		return 0;
	}
	if (strcmp(got, name) != 0) {
		printf("%s: decoded as %s\n", name, got);
		(*bad)++;
	}
	struct cw_go_type ty;
	if (cw_go_type_read(t, addr, &ty) < 0 || ty.kind != kind) {
		printf("%s: kind %d, decoded %d\n", name, kind, ty.kind);
		(*bad)++;
	}
	bool want_err = strcmp(iserr, "true") == 0;
	r = cw_go_type_find_method(t, addr, "Error");
	if ((r == 0) != want_err && r != -ENOTSUP) {
		printf("%s: Error method %s, lookup says %s\n", name, want_err ? "present" : "absent",
		       r == 0 ? "present" : strerror(-r));
		(*bad)++;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: gotypes-check BINARY CORE < typenames-output\n");
		return 2;
	}
	_cleanup_(cw_exe_freep) struct cw_exe *exe = NULL;
	_cleanup_(cw_core_freep) struct cw_core *core = NULL;
	_cleanup_(cw_pcln_freep) struct cw_pcln *pcln = NULL;
	_cleanup_(cw_mem_freep) struct cw_mem *mem = NULL;
	_cleanup_(cw_go_buildinfo_freep) struct cw_go_buildinfo *bi = NULL;
	int r;
	struct cw_go_version version;
	if ((r = cw_exe_open(argv[1], &exe)) < 0 || (r = cw_core_open(argv[2], &core)) < 0 ||
	    (r = cw_exe_go_buildinfo(exe, &bi)) < 0 || (r = cw_go_version_parse(bi->go_version, &version)) < 0 ||
	    (r = cw_pcln_open(exe, &version, &pcln)) < 0) {
		fprintf(stderr, "gotypes-check: cannot open inputs: %s\n", strerror(-r));
		return 2;
	}
	uint64_t bias = 0, entry;
	if (cw_exe_is_pie(exe) && cw_core_auxv(core, AT_ENTRY, &entry) == 0)
		bias = entry - cw_exe_entry(exe);
	if ((r = cw_mem_new(core, exe, bias, &mem)) < 0) {
		fprintf(stderr, "gotypes-check: no Go version or memory\n");
		return 2;
	}
	struct cw_go_ctx ctx = {
		.core = core, .exe = exe, .mem = mem, .pcln = pcln, .arch = cw_core_arch(core),
		.load_bias = bias, .go_minor = version.minor, .version = version,
		.layout = cw_go_layout_for_version(&version, NULL),
	};
	struct cw_go_types t;
	r = cw_go_types_init(&ctx, &t);
	if (r < 0) {
		fprintf(stderr, "gotypes-check: moduledata types: %s\n", strerror(-r));
		return 2;
	}
	char line[1024];
	unsigned bad = 0, lines = 0;
	while (fgets(line, sizeof(line), stdin)) {
		if (check_line(&t, line, &bad) < 0) {
			fprintf(stderr, "gotypes-check: bad input line: %s", line);
			return 2;
		}
		lines++;
	}
	if (lines == 0) {
		fprintf(stderr, "gotypes-check: no input\n");
		return 2;
	}
	return bad ? 1 : 0;
}
