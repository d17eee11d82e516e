/* Offsets and sizes of the Go runtime's structures, one table per range of
 * releases with the same layout (scripts/go-toolchain.sh --layouts: a minor
 * has more than one when a patch release changed a struct, as 1.23.12 and
 * 1.24.6 did to runtime.m), generated from the DWARF of a probe binary
 * built by a release of the range (scripts/gen-go-layout.sh,
 * tests/go/layoutgen/) and committed in go_layout_tables.c, so that
 * stripped binaries work. A binary's table is chosen by its exact release
 * (runtime.buildVersion), never by its minor alone: docs/go-releases.md.
 *
 * Every entry names its Go struct and field exactly (alternatives separated
 * by '|': the first name that exists in that release wins). A field that
 * does not exist in a release has off == -1 and size == -1: test with
 * cw_go_has(). Nested fields use dots ("sched.sp" is g.sched.sp, from the
 * start of the g). "sizeof" is the size of the struct itself.
 *
 * This list is read by tests/go/layoutgen: keep one X(...) per line. */
#ifndef CW_ANALYZER_GO_LAYOUT_H
#define CW_ANALYZER_GO_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyzer/go_version.h"

#define CW_GO_LAYOUT_FIELDS(X) \
	X(g_stack_lo, "runtime.g", "stack.lo") \
	X(g_stack_hi, "runtime.g", "stack.hi") \
	X(g_stackguard0, "runtime.g", "stackguard0") \
	X(g_panic, "runtime.g", "_panic") \
	X(g_defer, "runtime.g", "_defer") \
	X(g_m, "runtime.g", "m") \
	X(g_sched, "runtime.g", "sched") \
	X(g_sched_sp, "runtime.g", "sched.sp") \
	X(g_sched_pc, "runtime.g", "sched.pc") \
	X(g_sched_g, "runtime.g", "sched.g") \
	X(g_sched_ctxt, "runtime.g", "sched.ctxt") \
	X(g_sched_ret, "runtime.g", "sched.ret") \
	X(g_sched_lr, "runtime.g", "sched.lr") \
	X(g_sched_bp, "runtime.g", "sched.bp") \
	X(g_syscallsp, "runtime.g", "syscallsp") \
	X(g_syscallpc, "runtime.g", "syscallpc") \
	X(g_syscallbp, "runtime.g", "syscallbp") \
	X(g_atomicstatus, "runtime.g", "atomicstatus") \
	X(g_goid, "runtime.g", "goid") \
	X(g_waitsince, "runtime.g", "waitsince") \
	X(g_waitreason, "runtime.g", "waitreason") \
	X(g_preempt, "runtime.g", "preempt") \
	X(g_lockedm, "runtime.g", "lockedm") \
	X(g_sig, "runtime.g", "sig") \
	X(g_sigcode0, "runtime.g", "sigcode0") \
	X(g_sigcode1, "runtime.g", "sigcode1") \
	X(g_sigpc, "runtime.g", "sigpc") \
	X(g_parent_goid, "runtime.g", "parentGoid") \
	X(g_gopc, "runtime.g", "gopc") \
	X(g_startpc, "runtime.g", "startpc") \
	X(g_ancestors, "runtime.g", "ancestors") \
	X(g_labels, "runtime.g", "labels") \
	X(g_writebuf, "runtime.g", "writebuf") \
	X(g_paniconfault, "runtime.g", "paniconfault") \
	X(g_sizeof, "runtime.g", "sizeof") \
	X(m_g0, "runtime.m", "g0") \
	X(m_curg, "runtime.m", "curg") \
	X(m_gsignal, "runtime.m", "gsignal") \
	X(m_procid, "runtime.m", "procid") \
	X(m_id, "runtime.m", "id") \
	X(m_throwing, "runtime.m", "throwing") \
	X(m_caughtsig, "runtime.m", "caughtsig") \
	X(m_lockedg, "runtime.m", "lockedg") \
	X(m_alllink, "runtime.m", "alllink") \
	X(m_libcallsp, "runtime.m", "libcallsp") \
	X(m_libcallpc, "runtime.m", "libcallpc") \
	X(m_libcallg, "runtime.m", "libcallg") \
	X(m_vdso_sp, "runtime.m", "vdsoSP") \
	X(m_vdso_pc, "runtime.m", "vdsoPC") \
	X(m_ncgo, "runtime.m", "ncgo") \
	X(m_incgo, "runtime.m", "incgo") \
	X(m_p, "runtime.m", "p") \
	X(m_mstartfn, "runtime.m", "mstartfn") \
	X(m_dying, "runtime.m", "dying") \
	X(m_mallocing, "runtime.m", "mallocing") \
	X(m_locks, "runtime.m", "locks") \
	X(m_sizeof, "runtime.m", "sizeof") \
	X(gobuf_sp, "runtime.gobuf", "sp") \
	X(gobuf_pc, "runtime.gobuf", "pc") \
	X(gobuf_g, "runtime.gobuf", "g") \
	X(gobuf_ctxt, "runtime.gobuf", "ctxt") \
	X(gobuf_ret, "runtime.gobuf", "ret") \
	X(gobuf_lr, "runtime.gobuf", "lr") \
	X(gobuf_bp, "runtime.gobuf", "bp") \
	X(gobuf_sizeof, "runtime.gobuf", "sizeof") \
	X(panic_argp, "runtime._panic", "argp") \
	X(panic_arg, "runtime._panic", "arg") \
	X(panic_link, "runtime._panic", "link") \
	X(panic_pc, "runtime._panic", "pc") \
	X(panic_sp, "runtime._panic", "sp") \
	X(panic_start_pc, "runtime._panic", "startPC") \
	X(panic_start_sp, "runtime._panic", "startSP") \
	X(panic_lr, "runtime._panic", "lr") \
	X(panic_fp, "runtime._panic", "fp") \
	X(panic_retpc, "runtime._panic", "retpc") \
	X(panic_recovered, "runtime._panic", "recovered") \
	X(panic_aborted, "runtime._panic", "aborted") \
	X(panic_goexit, "runtime._panic", "goexit") \
	X(panic_repanicked, "runtime._panic", "repanicked") \
	X(panic_deferreturn, "runtime._panic", "deferreturn") \
	X(panic_gopanic_fp, "runtime._panic", "gopanicFP") \
	X(panic_sizeof, "runtime._panic", "sizeof") \
	X(defer_started, "runtime._defer", "started") \
	X(defer_heap, "runtime._defer", "heap") \
	X(defer_open_defer, "runtime._defer", "openDefer") \
	X(defer_rangefunc, "runtime._defer", "rangefunc") \
	X(defer_sp, "runtime._defer", "sp") \
	X(defer_pc, "runtime._defer", "pc") \
	X(defer_fn, "runtime._defer", "fn") \
	X(defer_panic, "runtime._defer", "_panic") \
	X(defer_link, "runtime._defer", "link") \
	X(defer_sizeof, "runtime._defer", "sizeof") \
	X(eface_type, "runtime.eface", "_type") \
	X(eface_data, "runtime.eface", "data") \
	X(iface_tab, "runtime.iface", "tab") \
	X(iface_data, "runtime.iface", "data") \
	X(itab_inter, "runtime.itab|internal/abi.ITab", "inter|Inter") \
	X(itab_type, "runtime.itab|internal/abi.ITab", "_type|Type") \
	X(itab_hash, "runtime.itab|internal/abi.ITab", "hash|Hash") \
	X(itab_fun, "runtime.itab|internal/abi.ITab", "fun|Fun") \
	X(type_size, "internal/abi.Type|runtime._type", "Size_|size") \
	X(type_ptrdata, "internal/abi.Type|runtime._type", "PtrBytes|ptrdata") \
	X(type_hash, "internal/abi.Type|runtime._type", "Hash|hash") \
	X(type_tflag, "internal/abi.Type|runtime._type", "TFlag|tflag") \
	X(type_align, "internal/abi.Type|runtime._type", "Align_|align") \
	X(type_field_align, "internal/abi.Type|runtime._type", "FieldAlign_|fieldAlign") \
	X(type_kind, "internal/abi.Type|runtime._type", "Kind_|kind") \
	X(type_str, "internal/abi.Type|runtime._type", "Str|str") \
	X(type_ptr_to_this, "internal/abi.Type|runtime._type", "PtrToThis|ptrToThis") \
	X(type_sizeof, "internal/abi.Type|runtime._type", "sizeof") \
	X(uncommon_pkgpath, "internal/abi.UncommonType|runtime.uncommontype", "PkgPath|pkgpath") \
	X(uncommon_mcount, "internal/abi.UncommonType|runtime.uncommontype", "Mcount|mcount") \
	X(uncommon_xcount, "internal/abi.UncommonType|runtime.uncommontype", "Xcount|xcount") \
	X(uncommon_moff, "internal/abi.UncommonType|runtime.uncommontype", "Moff|moff") \
	X(uncommon_sizeof, "internal/abi.UncommonType|runtime.uncommontype", "sizeof") \
	X(ptrtype_elem, "internal/abi.PtrType|runtime.ptrtype", "Elem|elem") \
	X(slicetype_elem, "internal/abi.SliceType|runtime.slicetype", "Elem|elem") \
	X(interfacetype_pkgpath, "internal/abi.InterfaceType|runtime.interfacetype", "PkgPath|pkgpath") \
	X(interfacetype_methods, "internal/abi.InterfaceType|runtime.interfacetype", "Methods|mhdr") \
	X(bounds_error_x, "runtime.boundsError", "x") \
	X(bounds_error_y, "runtime.boundsError", "y") \
	X(bounds_error_signed, "runtime.boundsError", "signed") \
	X(bounds_error_code, "runtime.boundsError", "code") \
	X(bounds_error_sizeof, "runtime.boundsError", "sizeof") \
	X(tae_interface, "runtime.TypeAssertionError", "_interface") \
	X(tae_concrete, "runtime.TypeAssertionError", "concrete") \
	X(tae_asserted, "runtime.TypeAssertionError", "asserted") \
	X(tae_missing_method, "runtime.TypeAssertionError", "missingMethod") \
	X(sched_lastpoll, "runtime.schedt", "lastpoll") \
	X(sched_poll_until, "runtime.schedt", "pollUntil") \
	X(sched_ngsys, "runtime.schedt", "ngsys") \
	X(p_id, "runtime.p", "id") \
	X(p_status, "runtime.p", "status") \
	X(p_m, "runtime.p", "m") \
	X(md_pc_header, "runtime.moduledata", "pcHeader") \
	X(md_funcnametab, "runtime.moduledata", "funcnametab") \
	X(md_cutab, "runtime.moduledata", "cutab") \
	X(md_filetab, "runtime.moduledata", "filetab") \
	X(md_pctab, "runtime.moduledata", "pctab") \
	X(md_pclntable, "runtime.moduledata", "pclntable") \
	X(md_ftab, "runtime.moduledata", "ftab") \
	X(md_findfunctab, "runtime.moduledata", "findfunctab") \
	X(md_minpc, "runtime.moduledata", "minpc") \
	X(md_maxpc, "runtime.moduledata", "maxpc") \
	X(md_text, "runtime.moduledata", "text") \
	X(md_etext, "runtime.moduledata", "etext") \
	X(md_noptrdata, "runtime.moduledata", "noptrdata") \
	X(md_enoptrdata, "runtime.moduledata", "enoptrdata") \
	X(md_data, "runtime.moduledata", "data") \
	X(md_edata, "runtime.moduledata", "edata") \
	X(md_bss, "runtime.moduledata", "bss") \
	X(md_ebss, "runtime.moduledata", "ebss") \
	X(md_noptrbss, "runtime.moduledata", "noptrbss") \
	X(md_enoptrbss, "runtime.moduledata", "enoptrbss") \
	X(md_covctrs, "runtime.moduledata", "covctrs") \
	X(md_ecovctrs, "runtime.moduledata", "ecovctrs") \
	X(md_end, "runtime.moduledata", "end") \
	X(md_gcdata, "runtime.moduledata", "gcdata") \
	X(md_gcbss, "runtime.moduledata", "gcbss") \
	X(md_types, "runtime.moduledata", "types") \
	X(md_etypes, "runtime.moduledata", "etypes") \
	X(md_rodata, "runtime.moduledata", "rodata") \
	X(md_gofunc, "runtime.moduledata", "gofunc") \
	X(md_epclntab, "runtime.moduledata", "epclntab") \
	X(md_textsectmap, "runtime.moduledata", "textsectmap") \
	X(md_typelinks, "runtime.moduledata", "typelinks") \
	X(md_itablinks, "runtime.moduledata", "itablinks") \
	X(md_ptab, "runtime.moduledata", "ptab") \
	X(md_pluginpath, "runtime.moduledata", "pluginpath") \
	X(md_pkghashes, "runtime.moduledata", "pkghashes") \
	X(md_inittasks, "runtime.moduledata", "inittasks") \
	X(md_modulename, "runtime.moduledata", "modulename") \
	X(md_modulehashes, "runtime.moduledata", "modulehashes") \
	X(md_hasmain, "runtime.moduledata", "hasmain") \
	X(md_bad, "runtime.moduledata", "bad") \
	X(md_next, "runtime.moduledata", "next") \
	X(md_sizeof, "runtime.moduledata", "sizeof") \
	X(memstats_last_gc_nanotime, "runtime.mstats", "last_gc_nanotime") \
	X(slice_sizeof, "runtime.slice", "sizeof")

/* Names of runtime globals (ELF symbols when the binary has a symtab). */
#define CW_GO_SYM_ALLGS "runtime.allgs"
#define CW_GO_SYM_ALLGLEN "runtime.allglen"
#define CW_GO_SYM_ALLM "runtime.allm"
#define CW_GO_SYM_FIRSTMODULEDATA "runtime.firstmoduledata"
#define CW_GO_SYM_BUILDVERSION "runtime.buildVersion"
#define CW_GO_SYM_SCHED "runtime.sched"
#define CW_GO_SYM_MEMSTATS "runtime.memstats"

/* g.atomicstatus values (runtime2.go; stable 1.18 .. 1.27, _Gleaked and
 * _Gdeadextra from 1.26). */
enum cw_go_gstatus {
	CW_G_IDLE = 0,
	CW_G_RUNNABLE = 1,
	CW_G_RUNNING = 2,
	CW_G_SYSCALL = 3,
	CW_G_WAITING = 4,
	CW_G_MORIBUND_UNUSED = 5,
	CW_G_DEAD = 6,
	CW_G_ENQUEUE_UNUSED = 7,
	CW_G_COPYSTACK = 8,
	CW_G_PREEMPTED = 9,
	CW_G_LEAKED = 10,          /* 1.26 */
	CW_G_DEADEXTRA = 11,       /* 1.26 */
	CW_G_SCAN = 0x1000,
};

struct cw_go_field {
	int32_t off;    /* byte offset from the start of the struct, -1 when absent */
	int32_t size;   /* byte size of the field (or of the struct for "sizeof"), -1 when absent */
};

struct cw_go_layout {
	int go_minor;                 /* 18 .. 27 */
	const char *since;            /* the first release the table holds for, "go1.24.6" */
	const char *probe_version;    /* the release the table was generated with, "go1.24.13" */
#define CW_GO_LAYOUT_MEMBER(name, st, fld) struct cw_go_field name;
	CW_GO_LAYOUT_FIELDS(CW_GO_LAYOUT_MEMBER)
#undef CW_GO_LAYOUT_MEMBER
};

enum cw_go_field_id {
#define CW_GO_LAYOUT_ENUM(name, st, fld) CW_GOF_##name,
	CW_GO_LAYOUT_FIELDS(CW_GO_LAYOUT_ENUM)
#undef CW_GO_LAYOUT_ENUM
	CW_GOF_COUNT
};

static inline bool cw_go_has(struct cw_go_field f) { return f.off >= 0 && f.size >= 0; }

/* The table of a release: of its minor, the one with the newest `since` not
 * after it (a prerelease or devel build of a minor takes the minor's first
 * table); for a minor newer than the newest table, the newest one
 * (*approx = true); NULL below 1.18 or for no version. */
const struct cw_go_layout *cw_go_layout_for_version(const struct cw_go_version *v, bool *approx);
/* The table of the newest release of a minor (go_minor 18 .. 27), NULL when
 * there is none (tests and fuzzers that name a minor, not a release). */
const struct cw_go_layout *cw_go_layout_exact(int go_minor);
/* cw_go_layout_exact, or for a newer minor than the newest table the newest
 * one (*approx = true); NULL below 1.18. */
const struct cw_go_layout *cw_go_layout_for(int go_minor, bool *approx);
/* Field by id: the entry, and its Go struct and field names as written in
 * CW_GO_LAYOUT_FIELDS. -EINVAL for a bad id. */
int cw_go_layout_field(const struct cw_go_layout *l, enum cw_go_field_id id,
		       struct cw_go_field *out, const char **go_struct, const char **go_field);
/* Sets a field by id: 0 or -EINVAL. */
int cw_go_layout_set(struct cw_go_layout *l, enum cw_go_field_id id, struct cw_go_field f);
/* go_layout_dwarf.c: overrides the fields of *l (a copy of the table of the
 * binary's release) with what the binary's DWARF (a libdw Dwarf *, see
 * cw_exe_dwarf) says, resolved as scripts/gen-go-layout.sh does; structs
 * the DWARF lacks keep the table's values. *nfound: fields present in the
 * DWARF; *nchanged: fields that differed from the table. 0, -ENOENT (none of
 * the structs in the DWARF), -E2BIG (implausibly many DIEs), -EINVAL. */
int cw_go_layout_apply_dwarf(void *dwarf, struct cw_go_layout *l, size_t *nfound, size_t *nchanged);
/* All generated tables, oldest first. */
size_t cw_go_layout_count(void);
const struct cw_go_layout *cw_go_layout_at(size_t i);

#endif
