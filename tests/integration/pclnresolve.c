/* pclnresolve: test driver for the pclntab reader (tests/integration/
 * pclntab-matrix.sh). Usage: pclnresolve BINARY MODE
 *   info       layout, nfunc, text start, pclntab/gofunc/moduledata addresses
 *   pcs N      up to N link-time pcs: every function entry, and pcs inside
 *   addr2line  hex pcs on stdin -> "name\nfile:line" like `go tool addr2line`
 *   frames     pclnprobe output on stdin: checks each stack's inline expansion
 *              against runtime.CallersFrames, prints TAP-style diagnostics
 *   moduledata CORE   reads runtime.firstmoduledata from a core of BINARY
 *              and checks it against the executable's pclntab
 *   traceback  pclnprobe stdout+stderr of a GOTRACEBACK=crash run on stdin:
 *              every frame group the runtime printed (inlined "(...)" frames
 *              up to the physical frame with pc=) equals cw_pcln_frames
 *   bench N [D] resolves N pcs (inline frames; D distinct ones, 0 = all
 *              distinct) and prints the time taken */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analyzer/core_file.h"
#include "analyzer/exe.h"
#include "analyzer/go_moduledata.h"
#include "analyzer/go_pclntab.h"
#include "analyzer/memory.h"
#include "common/cleanup.h"

CW_DEFINE_CLEANUP(struct cw_exe *, cw_exe_free)
CW_DEFINE_CLEANUP(struct cw_pcln *, cw_pcln_free)
CW_DEFINE_CLEANUP(struct cw_core *, cw_core_free)
CW_DEFINE_CLEANUP(struct cw_mem *, cw_mem_free)
CW_DEFINE_CLEANUP(struct cw_go_buildinfo *, cw_go_buildinfo_free)

static int check(bool cond, const char *what, uint64_t got, uint64_t want)
{
	if (cond)
		return 0;
	printf("# moduledata.%s = %" PRIx64 ", want %" PRIx64 "\n", what, got, want);
	return 1;
}

static int do_moduledata(const struct cw_exe *exe, const struct cw_pcln *p, const char *core_path)
{
	CW_CLEANUP(cw_core_freep) struct cw_core *core = NULL;
	CW_CLEANUP(cw_mem_freep) struct cw_mem *mem = NULL;
	CW_CLEANUP(cw_go_buildinfo_freep) struct cw_go_buildinfo *bi = NULL;
	uint64_t bias;
	struct cw_go_version version;
	if (cw_core_open(core_path, &core) < 0 || cw_exe_load_bias(exe, core, &bias) < 0 ||
	    cw_mem_new(core, exe, bias, &mem) < 0 || cw_exe_go_buildinfo(exe, &bi) < 0 ||
	    cw_go_version_parse(bi->go_version, &version) < 0) {
		printf("# cannot open core, memory or build info\n");
		return 1;
	}
	struct cw_go_moduledata m;
	const struct cw_go_layout *layout = cw_go_layout_for_version(&version, NULL);
	int r = cw_go_moduledata_read(mem, p, bias, layout, &m);
	if (r < 0) {
		printf("# cw_go_moduledata_read: %s\n", strerror(-r));
		return 1;
	}
	int bad = 0;
	bad |= check(m.pcheader == cw_pcln_addr(p) + bias, "pcHeader", m.pcheader, cw_pcln_addr(p) + bias);
	bad |= check(m.text == cw_pcln_text_start(p) + bias, "text", m.text, cw_pcln_text_start(p) + bias);
	bad |= check(m.minpc == cw_pcln_min_pc(p) + bias, "minpc", m.minpc, cw_pcln_min_pc(p) + bias);
	bad |= check(m.maxpc == cw_pcln_max_pc(p) + bias, "maxpc", m.maxpc, cw_pcln_max_pc(p) + bias);
	bad |= check(m.gofunc == cw_pcln_gofunc(p) + bias, "gofunc", m.gofunc, cw_pcln_gofunc(p) + bias);
	bad |= check(m.ftab.len == cw_pcln_nfuncs(p) + 1, "ftab.len", m.ftab.len, cw_pcln_nfuncs(p) + 1);
	bad |= check(m.etext > m.text && m.etext >= m.maxpc, "etext", m.etext, m.maxpc);
	bad |= check(m.types < m.etypes && m.rodata <= m.types, "types", m.types, m.etypes);
	/* 1.27 has no typelinks slice (types are walked by typedesclen) */
	if (cw_go_has(layout->md_typelinks))
		bad |= check(m.typelinks.len > 0 && m.typelinks.len == m.typelinks.cap, "typelinks.len", m.typelinks.len,
			     m.typelinks.cap);
	else
		bad |= check(m.typelinks.len == 0 && m.typelinks.ptr == 0, "typelinks (absent)", m.typelinks.len, 0);
	bad |= check(m.noptrdata < m.enoptrdata && m.data < m.edata && m.bss < m.ebss && m.noptrbss < m.enoptrbss &&
		     m.enoptrbss <= m.end, "data/bss ranges", m.end, m.enoptrbss);
	bad |= check(m.hasmain == 1, "hasmain", m.hasmain, 1);
	bad |= check(m.next == 0, "next", m.next, 0);
	bad |= check(version.minor < 26 || (m.epclntab > m.pcheader), "epclntab", m.epclntab, m.pcheader);
	bad |= check(cw_mem_mapped(mem, m.addr), "addr mapped", m.addr, m.addr);
	printf("# go1.%d bias %" PRIx64 " moduledata at %" PRIx64 "\n", version.minor, bias, m.addr);
	return bad;
}

struct tb_frame {
	char text[1024];   /* "function\tfile:line" */
};

/* One physical frame of the runtime's traceback with the inlined frames
 * printed above it: compare with cw_pcln_frames at its tracepc. */
static int check_group(const struct cw_pcln *p, const struct tb_frame *g, size_t n, uint64_t pc,
		       bool after_sigpanic, bool *is_sigpanic)
{
	struct cw_func f;
	*is_sigpanic = false;
	if (cw_pcln_func(p, pc, &f) < 0) {
		printf("# pc %" PRIx64 ": no function\n", pc);
		return 1;
	}
	*is_sigpanic = f.funcid == CW_FUNCID_SIGPANIC;
	/* traceback's symPC: the call instruction, unless the frame was
	 * interrupted by a signal (the frame above is sigpanic) */
	uint64_t tracepc = (!after_sigpanic && pc > f.entry) ? pc - 1 : pc;
	struct cw_pcframe fr[64];
	size_t k = 0;
	int r = cw_pcln_frames(p, NULL, tracepc, fr, 64, &k);
	int bad = r < 0 || k != n;
	for (size_t j = 0; j < k; j++) {
		char mine[1024];
		const char *name = strcmp(fr[j].name, "runtime.gopanic") == 0 ? "panic" : fr[j].name;
		snprintf(mine, sizeof(mine), "%s\t%s:%d", name, fr[j].file, fr[j].line);
		if (j >= n || strcmp(mine, g[j].text) != 0) {
			printf("# pc %" PRIx64 " frame %zu: got '%s' want '%s'\n", pc, j, mine, j < n ? g[j].text : "(none)");
			bad = 1;
		}
	}
	if (k != n)
		printf("# pc %" PRIx64 ": %zu frames, runtime printed %zu\n", pc, k, n);
	cw_pcframes_free(fr, k);
	return bad;
}

static int do_traceback(const struct cw_pcln *p)
{
	char line[4096], fn[1024] = "";
	struct tb_frame g[64];
	size_t n = 0, groups = 0, frames = 0;
	uint64_t bias = 0;
	bool after_sigpanic = false, skip_next = false;
	int bad = 0;
	struct cw_func mainf;
	if (cw_pcln_func_by_name(p, "main.main", &mainf) < 0)
		return 1;
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = 0;
		if (strncmp(line, "base ", 5) == 0) {
			bias = strtoull(line + 5, NULL, 16) - mainf.entry;
			continue;
		}
		if (line[0] != '\t') {
			skip_next = strncmp(line, "created by ", 11) == 0;
			fn[0] = 0;
			char *open = strrchr(line, '(');
			size_t len = strlen(line);
			if (!skip_next && open && len > 0 && line[len - 1] == ')')
				snprintf(fn, sizeof(fn), "%.*s", (int)(open - line), line);
			if (strncmp(line, "goroutine ", 10) == 0 || strcmp(line, "runtime stack:") == 0) {
				n = 0;
				after_sigpanic = false;
			}
			continue;
		}
		if (skip_next || !fn[0])
			continue;
		/* "\tfile:line[ +0xoff][ fp=.. sp=.. pc=0x..]": a physical frame
		 * has pc= (and +0x unless the pc is the entry) */
		char *pcs = strstr(line, " pc=0x");
		char *plus = strstr(line, " +0x");
		char *fp = strstr(line, " fp=0x");
		char *endf = plus ? plus : fp;
		size_t flen = endf ? (size_t)(endf - line - 1) : strlen(line + 1);
		if (n < 64) {
			snprintf(g[n].text, sizeof(g[n].text), "%s\t%.*s", fn, (int)flen, line + 1);
			n++;
		}
		fn[0] = 0;
		if (!plus && !pcs)
			continue;    /* an inlined frame: its physical frame follows */
		if (!pcs) {      /* a physical frame printed without pc=: cannot check */
			n = 0;
			continue;
		}
		uint64_t pc = strtoull(pcs + 6, NULL, 16) - bias;
		bool sig;
		bad |= check_group(p, g, n, pc, after_sigpanic, &sig);
		after_sigpanic = sig;
		groups++;
		frames += n;
		n = 0;
	}
	printf("# %zu physical frames, %zu frames checked\n", groups, frames);
	return bad || groups < 5;
}

static int do_bench(const struct cw_pcln *p, size_t count, size_t distinct)
{
	size_t n = cw_pcln_nfuncs(p), frames = 0;
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (size_t i = 0; i < count; i++) {
		struct cw_func f;
		/* pcs spread over all functions, each repeated like stacks of
		 * many goroutines would repeat them */
		size_t j = distinct ? i % distinct : i;
		if (cw_pcln_func_at(p, (j * 7919) % n, &f) < 0)
			return 1;
		uint64_t pc = f.entry + ((j / n) * 13) % (f.end - f.entry + 1);
		struct cw_pcframe fr[32];
		size_t k = 0;
		cw_pcln_frames(p, NULL, pc, fr, 32, &k);
		frames += k;
		cw_pcframes_free(fr, k);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	printf("%zu pcs, %zu frames in %.3f s (%.0f ns/pc)\n", count, frames, s, s * 1e9 / (double)count);
	return 0;
}

/* funcIDs of runtime functions, normalised whatever the release's numbering */
static bool funcids_ok(const struct cw_exe *exe, const struct cw_pcln *p)
{
	CW_CLEANUP(cw_go_buildinfo_freep) struct cw_go_buildinfo *bi = NULL;
	/* the 1.18 linker keyed systemstack_switch as "switch" and rt0_go as
	 * "go" (objabi/funcid.go): its binaries carry funcID normal for them */
	bool go118 = cw_exe_go_buildinfo(exe, &bi) == 0 && strncmp(bi->go_version, "go1.18", 6) == 0 &&
		     (bi->go_version[6] == '.' || bi->go_version[6] == 0);
	static const struct { const char *name; uint8_t id; } ids[] = {
		{ "runtime.goexit", CW_FUNCID_GOEXIT }, { "runtime.sigpanic", CW_FUNCID_SIGPANIC },
		{ "runtime.gopanic", CW_FUNCID_GOPANIC }, { "runtime.mstart", CW_FUNCID_MSTART },
		{ "runtime.main", CW_FUNCID_RUNTIME_MAIN }, { "runtime.systemstack", CW_FUNCID_SYSTEMSTACK },
		{ "runtime.systemstack_switch", CW_FUNCID_SYSTEMSTACK_SWITCH }, { "runtime.mcall", CW_FUNCID_MCALL },
		{ "runtime.morestack", CW_FUNCID_MORESTACK }, { "runtime.rt0_go", CW_FUNCID_RT0_GO },
		{ "runtime.asyncPreempt", CW_FUNCID_ASYNCPREEMPT }, { "runtime.gogo", CW_FUNCID_GOGO },
		{ "runtime.gcBgMarkWorker", CW_FUNCID_GCBGMARKWORKER }, { "runtime.abort", CW_FUNCID_ABORT },
		{ "runtime.asmcgocall", CW_FUNCID_ASMCGOCALL }, { "runtime.cgocallback", CW_FUNCID_CGOCALLBACK },
		{ "runtime.runfinq", CW_FUNCID_RUNFINQ }, { "runtime.runFinalizers", CW_FUNCID_RUNFINQ },
		{ "runtime.runCleanups", CW_FUNCID_RUN_CLEANUPS }, { "runtime.corostart", CW_FUNCID_CORO_EXIT },
		{ "runtime.handleAsyncEvent", CW_FUNCID_HANDLEASYNCEVENT }, { "runtime.debugCallV2", CW_FUNCID_DEBUGCALLV2 },
		{ "main.main", CW_FUNCID_NORMAL },
	};
	bool ok = true;
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		struct cw_func f;
		if (cw_pcln_func_by_name(p, ids[i].name, &f) < 0)
			continue;
		uint8_t want = ids[i].id;
		if (go118 && (want == CW_FUNCID_SYSTEMSTACK_SWITCH || want == CW_FUNCID_RT0_GO))
			want = CW_FUNCID_NORMAL;
		if (f.funcid != want) {
			printf("funcid %s %u want %u\n", ids[i].name, f.funcid, ids[i].id);
			ok = false;
		}
	}
	return ok;
}

static int do_info(const struct cw_exe *exe, const struct cw_pcln *p)
{
	if (funcids_ok(exe, p))
		printf("funcids ok\n");
	printf("layout %s\nnfunc %zu\ntext %" PRIx64 "\npclntab %" PRIx64 "\ngofunc %" PRIx64 "\nmoduledata %" PRIx64 "\n",
	       cw_pcln_layout(p), cw_pcln_nfuncs(p), cw_pcln_text_start(p), cw_pcln_addr(p),
	       cw_pcln_gofunc(p), cw_pcln_moduledata_addr(p));
	return 0;
}

/* Every function's entry, then pcs inside functions (a quarter, half and
 * three quarters in) until max pcs are listed. */
static int do_pcs(const struct cw_pcln *p, size_t max)
{
	size_t n = cw_pcln_nfuncs(p), out = 0;
	for (uint64_t k = 0; k < 4 && out < max; k++) {
		for (size_t i = 0; i < n && out < max; i++) {
			struct cw_func f;
			if (cw_pcln_func_at(p, i, &f) < 0)
				return 1;
			uint64_t len = f.end - f.entry;
			if (k > 0 && len <= 4)
				continue;
			/* linker markers (go:textfipsstart...) have no tables: the
			 * runtime says "?:0", debug/gosym decodes offset 0 as a table */
			int32_t sp;
			if (cw_pcln_spdelta(p, &f, f.entry, &sp) == -ENOENT)
				continue;
			printf("%" PRIx64 "\n", f.entry + len * k / 4);
			out++;
		}
	}
	return 0;
}

static int do_addr2line(const struct cw_pcln *p)
{
	char line[256];
	while (fgets(line, sizeof(line), stdin)) {
		uint64_t pc = strtoull(line, NULL, 16);
		struct cw_func f;
		const char *file;
		int32_t ln;
		if (cw_pcln_func(p, pc, &f) < 0) {
			printf("?\n?:0\n");
			continue;
		}
		/* debug/gosym (go tool addr2line) prints ":-1" where the
		 * runtime says "?:0": pcs the tables do not cover */
		if (cw_pcln_fileline(p, &f, pc, &file, &ln) < 0)
			printf("%s\n:-1\n", f.name);
		else
			printf("%s\n%s:%d\n", f.name, file, ln);
	}
	return 0;
}

struct probe_frame {
	uint64_t pc;
	char *text;   /* "function\tfile:line" */
};

static void free_frames(struct probe_frame *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].text);
}

/* Checks one stack: each physical pc (pc-1) expands to the frames that the
 * following pcs of runtime.Callers describe one by one. */
static int check_stack(const struct cw_pcln *p, const char *tag, const struct probe_frame *v, size_t n,
		       uint64_t bias, size_t *checked)
{
	int bad = 0;
	for (size_t i = 0; i < n;) {
		struct cw_pcframe fr[64];
		size_t k = 0;
		uint64_t pc = v[i].pc - bias;
		struct cw_func f;
		/* runtime.CallersFrames backs up to the call unless pc is an entry */
		uint64_t tracepc = (cw_pcln_func(p, pc, &f) == 0 && pc > f.entry) ? pc - 1 : pc;
		int r = cw_pcln_frames(p, NULL, tracepc, fr, 64, &k);
		if (r < 0 || k == 0) {
			printf("# %s: pc %" PRIx64 ": cw_pcln_frames: %s\n", tag, pc, strerror(-r));
			cw_pcframes_free(fr, k);
			return 1;
		}
		for (size_t j = 0; j < k; j++) {
			char mine[1024];
			snprintf(mine, sizeof(mine), "%s\t%s:%d", fr[j].name, fr[j].file, fr[j].line);
			if (i + j >= n || strcmp(mine, v[i + j].text) != 0 || fr[j].inlined != (j + 1 < k)) {
				printf("# %s: pc %" PRIx64 " frame %zu: got '%s' want '%s'\n", tag, pc, j, mine,
				       i + j < n ? v[i + j].text : "(none)");
				bad = 1;
			}
			(*checked)++;
		}
		cw_pcframes_free(fr, k);
		i += k;
	}
	return bad;
}

static int do_frames(const struct cw_pcln *p)
{
	char line[4096], tag[256] = "";
	uint64_t bias = 0;
	struct probe_frame v[128];
	size_t n = 0, checked = 0, stacks = 0;
	int bad = 0;
	struct cw_func mainf;
	if (cw_pcln_func_by_name(p, "main.main", &mainf) < 0)
		return 1;
	for (;;) {
		char *l = fgets(line, sizeof(line), stdin);
		if (!l || strncmp(l, "stack ", 6) == 0) {
			if (n) {
				bad |= check_stack(p, tag, v, n, bias, &checked);
				stacks++;
			}
			free_frames(v, n);
			n = 0;
			if (!l)
				break;
			snprintf(tag, sizeof(tag), "%s", l + 6);
			tag[strcspn(tag, "\n")] = 0;
		} else if (strncmp(l, "base ", 5) == 0) {
			bias = strtoull(l + 5, NULL, 16) - mainf.entry;
		} else if (strncmp(l, "F ", 2) == 0 && n < 128) {
			char *end;
			v[n].pc = strtoull(l + 2, &end, 16);
			end += strspn(end, " ");
			end[strcspn(end, "\n")] = 0;
			v[n].text = strdup(end);
			if (!v[n].text)
				return 1;
			n++;
		}
	}
	printf("# %zu stacks, %zu frames checked, bias %" PRIx64 "\n", stacks, checked, bias);
	return bad || stacks == 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s BINARY info|pcs N|addr2line|frames|moduledata CORE|bench N\n", argv[0]);
		return 2;
	}
	CW_CLEANUP(cw_exe_freep) struct cw_exe *exe = NULL;
	CW_CLEANUP(cw_pcln_freep) struct cw_pcln *p = NULL;
	int r = cw_exe_open(argv[1], &exe);
	if (r < 0) {
		fprintf(stderr, "%s: %s\n", argv[1], strerror(-r));
		return 1;
	}
	/* the binary's release, as the analysis passes it */
	CW_CLEANUP(cw_go_buildinfo_freep) struct cw_go_buildinfo *bi = NULL;
	struct cw_go_version v;
	bool have_release = cw_exe_go_buildinfo(exe, &bi) == 0 && cw_go_version_parse(bi->go_version, &v) == 0;
	r = cw_pcln_open(exe, have_release ? &v : NULL, &p);
	if (r < 0) {
		fprintf(stderr, "%s: pclntab: %s\n", argv[1], strerror(-r));
		return 1;
	}
	if (strcmp(argv[2], "info") == 0)
		return do_info(exe, p);
	if (strcmp(argv[2], "pcs") == 0)
		return do_pcs(p, argc > 3 ? strtoul(argv[3], NULL, 10) : 1000);
	if (strcmp(argv[2], "addr2line") == 0)
		return do_addr2line(p);
	if (strcmp(argv[2], "frames") == 0)
		return do_frames(p);
	if (strcmp(argv[2], "traceback") == 0)
		return do_traceback(p);
	if (strcmp(argv[2], "moduledata") == 0 && argc > 3)
		return do_moduledata(exe, p, argv[3]);
	if (strcmp(argv[2], "bench") == 0)
		return do_bench(p, argc > 3 ? strtoul(argv[3], NULL, 10) : 300000,
				argc > 4 ? strtoul(argv[4], NULL, 10) : 0);
	return 2;
}
