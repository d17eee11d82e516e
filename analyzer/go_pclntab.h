/* Go's pclntab (Go 1.18 and later): function table, names, pc-value
 * tables (pcsp, pcfile, pcln, pcdata), funcdata and the inline tree, plus
 * the location of runtime.firstmoduledata. All addresses in this API are
 * link-time addresses (subtract the load bias first). The table bytes are
 * hostile: every read is bounds-checked, every loop bounded. */
#ifndef CW_ANALYZER_GO_PCLNTAB_H
#define CW_ANALYZER_GO_PCLNTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyzer/exe.h"

/* funcID values used by tracebacks. Releases number them differently
 * (1.18-1.21: no corostart; 1.22-1.24: this order, CORO_EXIT being
 * abi.FuncID_corostart; 1.25+: runFinalizers (RUNFINQ here) and
 * runCleanups after runtime_main); cw_pcln_func normalises them to these.
 * The 1.18 linker never marked runtime.rt0_go and runtime.systemstack_switch
 * (objabi/funcid.go keyed them "go" and "switch"): in 1.18 binaries they
 * are CW_FUNCID_NORMAL, as the 1.18 runtime itself sees them. */
enum cw_funcid {
	CW_FUNCID_NORMAL = 0,
	CW_FUNCID_ABORT,
	CW_FUNCID_ASMCGOCALL,
	CW_FUNCID_ASYNCPREEMPT,
	CW_FUNCID_CGOCALLBACK,
	CW_FUNCID_CORO_EXIT,
	CW_FUNCID_DEBUGCALLV2,
	CW_FUNCID_GCBGMARKWORKER,
	CW_FUNCID_GOEXIT,
	CW_FUNCID_GOGO,
	CW_FUNCID_GOPANIC,
	CW_FUNCID_HANDLEASYNCEVENT,
	CW_FUNCID_MCALL,
	CW_FUNCID_MORESTACK,
	CW_FUNCID_MSTART,
	CW_FUNCID_PANICWRAP,
	CW_FUNCID_RT0_GO,
	CW_FUNCID_RUNFINQ,
	CW_FUNCID_RUNTIME_MAIN,
	CW_FUNCID_SIGPANIC,
	CW_FUNCID_SYSTEMSTACK,
	CW_FUNCID_SYSTEMSTACK_SWITCH,
	CW_FUNCID_WRAPPER,
	CW_FUNCID_RUN_CLEANUPS,  /* 1.25+ */
	CW_FUNCID_UNKNOWN = 255,
};

/* funcFlag bits */
#define CW_FUNCFLAG_TOPFRAME 0x1
#define CW_FUNCFLAG_SPWRITE 0x2
#define CW_FUNCFLAG_ASM 0x4

struct cw_func {
	uint64_t entry;          /* link-time entry pc */
	uint64_t end;            /* first pc after the function */
	const char *name;        /* raw symbol name, e.g. "main.Drain[go.shape.int]" (points into the table) */
	int32_t args;
	uint32_t deferreturn;
	uint8_t funcid;          /* enum cw_funcid */
	uint8_t flag;            /* CW_FUNCFLAG_* */
	uint32_t start_line;     /* 1.20+; 0 when unknown */
	uint32_t func_off;       /* offset of the _func record (opaque to callers) */
};

/* One logical frame at a pc, inlined frames expanded. */
struct cw_pcframe {
	char *name;              /* as the runtime prints it (funcNameForPrint: "main.Drain[...]") */
	const char *raw_name;
	const char *file;
	int32_t line;
	bool inlined;            /* true for every frame but the outermost (physical) one */
	uint8_t funcid;
};

struct cw_pcln;

struct cw_go_version;

/* Finds the pclntab (section .gopclntab, or by header magic in the file,
 * for PIE/stripped layouts) and validates its header. release, the
 * binary's Go release from its build info (NULL: unknown), decides where
 * a stripped binary's go:func.* is and how frames are named.
 * -ENOENT: not a Go binary; -EBADMSG: corrupt; -ENOTSUP: Go < 1.18. */
int cw_pcln_open(const struct cw_exe *exe, const struct cw_go_version *release, struct cw_pcln **out);
/* Same, over a raw in-memory copy of a pclntab (for the fuzz harness);
 * text_start overrides the header's when non-zero. */
int cw_pcln_open_bytes(const uint8_t *data, size_t len, uint64_t text_start, struct cw_pcln **out);
void cw_pcln_free(struct cw_pcln *p);

/* "1.18" (magic 0xfffffff0) or "1.20" (0xfffffff1) layout */
const char *cw_pcln_layout(const struct cw_pcln *p);
uint64_t cw_pcln_text_start(const struct cw_pcln *p);
uint64_t cw_pcln_min_pc(const struct cw_pcln *p);
uint64_t cw_pcln_max_pc(const struct cw_pcln *p);
/* link-time address of the pclntab header, when known from the executable */
uint64_t cw_pcln_addr(const struct cw_pcln *p);
size_t cw_pcln_nfuncs(const struct cw_pcln *p);

/* Function containing pc: 0 or -ENOENT. */
int cw_pcln_func(const struct cw_pcln *p, uint64_t pc, struct cw_func *f);
/* Function by its raw name (linear scan, cached): 0 or -ENOENT. */
int cw_pcln_func_by_name(const struct cw_pcln *p, const char *name, struct cw_func *f);
/* SP delta at pc (pcsp): 0 or -ENOENT/-EBADMSG. */
int cw_pcln_spdelta(const struct cw_pcln *p, const struct cw_func *f, uint64_t pc, int32_t *delta);
/* file:line at pc of the physical function (no inlining). */
int cw_pcln_fileline(const struct cw_pcln *p, const struct cw_func *f, uint64_t pc, const char **file, int32_t *line);
/* pcdata table value at pc (e.g. PCDATA_UnsafePoint=0, StackMapIndex=1, InlTreeIndex=2, ArgLiveIndex=3) */
int cw_pcln_pcdata(const struct cw_pcln *p, const struct cw_func *f, uint32_t table, uint64_t pc, int32_t *val);
/* funcdata offset value (link-time address) for index (FUNCDATA_InlTree=3 ...); -ENOENT when absent */
int cw_pcln_funcdata(const struct cw_pcln *p, const struct cw_func *f, uint32_t index, uint64_t *addr);
/* Logical frames at pc, innermost first, inlined frames expanded exactly
 * as runtime.printframe/traceback print them. Fills up to max frames,
 * sets *n; caller frees names with cw_pcframes_free. needs exe for reading
 * funcdata (the inline tree lives in go:func.*). */
int cw_pcln_frames(const struct cw_pcln *p, const struct cw_exe *exe, uint64_t pc,
		   struct cw_pcframe *frames, size_t max, size_t *n);
void cw_pcframes_free(struct cw_pcframe *frames, size_t n);
/* Extensions (pcln): */
/* cw_pcln_open references the executable's bytes: exe must outlive the
 * cw_pcln. cw_pcln_open_bytes copies its input. */
/* The PC arguments of this API are link-time pcs the caller wants
 * described: for a return address (every frame but the innermost one, and
 * not after a sigpanic) callers pass pc-1, as the runtime's tracepc does;
 * cw_pcln_frames does no adjustment of its own.
 * cw_pcln_frames reads the inline tree from go:func.* through the view set
 * by cw_pcln_set_gofunc (cw_pcln_open sets it from the executable; exe may
 * be NULL). Frames are expanded like runtime's inlineUnwinder (1.21+) and
 * gentraceback (1.18-1.20): each frame's file:line is funcline(f, tracepc)
 * with tracepc = entry + inlinedCall.parentPc for the callers. It returns
 * -ENOBUFS with *n = max when the frames do not fit (the frames filled
 * must still be freed). Wrapper frames (funcid CW_FUNCID_WRAPPER) are
 * returned: eliding them (elideWrapperCalling) is the unwinder's choice.
 * Names are as stored, except generic shapes printed "[...]"; the runtime
 * prints runtime.gopanic as "panic" (printFuncName), which this does not.
 * Not thread-safe: lookups share caches (pc-value and frames by pc). */
/* Link-time address of go:func.* (moduledata.gofunc), 0 when unknown. */
uint64_t cw_pcln_gofunc(const struct cw_pcln *p);
/* data (not copied, must outlive p) holds len bytes at link-time addr. */
int cw_pcln_set_gofunc(struct cw_pcln *p, uint64_t addr, const uint8_t *data, size_t len);
unsigned cw_pcln_ptr_size(const struct cw_pcln *p);
/* Link-time address of runtime.firstmoduledata when cw_pcln_open found it
 * (see go_moduledata.h), else 0. */
uint64_t cw_pcln_moduledata_addr(const struct cw_pcln *p);
unsigned cw_pcln_quantum(const struct cw_pcln *p);
/* The i-th function of the table (0 <= i < cw_pcln_nfuncs), in pc order. */
int cw_pcln_func_at(const struct cw_pcln *p, size_t i, struct cw_func *f);
/* funcdata slot as stored (offset from go:func.*): 0 or -ENOENT. */
int cw_pcln_funcdata_off(const struct cw_pcln *p, const struct cw_func *f, uint32_t index, uint32_t *off);

/* The runtime's funcNameForPrint: replaces generic type arguments with
 * "[...]", keeping the text between two groups when two_groups (Go 1.27+,
 * CW_GO_QUIRK_FUNCNAME_TWO_GROUPS). malloc'd. */
char *cw_go_func_name_for_print(const char *raw, bool two_groups);
/* Whether frames are named by Go 1.27's rule (cw_pcln_open's release;
 * false without one). */
bool cw_pcln_two_group_names(const struct cw_pcln *p);

#endif
