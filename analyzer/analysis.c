/* Assembles one analysis: opens the core and the executable, works out
 * the load bias and whether they match, then lets the Go parts (or, for
 * other programs, the native unwinder) fill the result model. */
#include "config.h"
#include "analyzer/analysis.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyzer/core_file.h"
#include "analyzer/exe.h"
#include "analyzer/go_ctx.h"
#include "analyzer/go_layout.h"
#include "analyzer/go_pclntab.h"
#include "analyzer/memory.h"
#include "analyzer/native_unwind.h"
#include "common/cleanup.h"
#include "common/filekind.h"
#include "common/io.h"
#include "common/signal_name.h"


CW_DEFINE_CLEANUP(struct cw_core *, cw_core_free)
CW_DEFINE_CLEANUP(struct cw_exe *, cw_exe_free)
CW_DEFINE_CLEANUP(struct cw_mem *, cw_mem_free)
CW_DEFINE_CLEANUP(struct cw_pcln *, cw_pcln_free)
CW_DEFINE_CLEANUP(struct cw_go_buildinfo *, cw_go_buildinfo_free)
CW_DEFINE_CLEANUP(struct cw_analysis *, cw_analysis_free)

void cw_analyze_opts_default(struct cw_analyze_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->native_unwind = true;
}

static void progress(const struct cw_analyze_opts *o, const char *stage)
{
	if (o->progress)
		o->progress(o->userdata, stage, 0, 0);
}

static int fail(char *err, size_t errlen, int r, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t errlen, int r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return r;
}

static const char *core_error(int r)
{
	switch (r) {
	case -EBADMSG: return "not an ELF core file, or corrupt";
	case -ENOTSUP: return "core of an unsupported architecture";
	case -ENOENT: return "no such file";
	case -EACCES: return "permission denied";
	default: return strerror(-r);
	}
}

/* The reason a file could not be opened, in words: for a file that is not
 * regular, what it is ("is a FIFO"), since strerror(ESPIPE) says nothing. */
static void describe_open_error(const char *path, int r, const char *fallback, char *buf, size_t len)
{
	struct stat st;
	if ((r == -ESPIPE || r == -EISDIR) && stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		snprintf(buf, len, "is %s, not a regular file", cw_file_type_name(st.st_mode));
	else
		snprintf(buf, len, "%s", fallback);
}

static char *xstrdup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static bool signal_has_address(int signo)
{
	return signo == SIGSEGV || signo == SIGBUS || signo == SIGILL || signo == SIGFPE || signo == SIGTRAP;
}

static int fill_signal(struct cw_core *core, struct cw_analysis *a)
{
	const struct cw_core_siginfo *si = cw_core_siginfo(core);
	int signo = 0;
	if (si && si->present && si->signo > 0) {
		signo = si->signo;
		a->signal.code = si->code;
		if (signal_has_address(signo) && si->code > 0) {
			a->signal.has_address = true;
			a->signal.address = si->addr;
		}
	} else {
		/* no NT_SIGINFO: the first thread with a pending signal */
		for (size_t i = 0; i < cw_core_nthreads(core); i++) {
			const struct cw_core_thread *t = cw_core_thread(core, i);
			if (t->cursig > 0) {
				signo = t->cursig;
				break;
			}
		}
	}
	if (signo <= 0)
		return 0;
	a->signal.present = true;
	a->signal.number = signo;
	a->signal.name = cw_signal_name_alloc(signo);
	return a->signal.name ? 0 : -ENOMEM;
}

/* The thread the kernel dumped first is the one that took the fatal
 * signal (the kernel writes the dumping thread's NT_PRSTATUS first). */
static void fill_crashed_thread(struct cw_core *core, struct cw_analysis *a)
{
	if (cw_core_nthreads(core) > 0)
		a->crashed_tid = cw_core_thread(core, 0)->tid;
}

static int fill_go_info(const struct cw_go_buildinfo *bi, struct cw_analysis *a)
{
	a->go.version = xstrdup_or_null(bi->go_version);
	a->go.main_module = xstrdup_or_null(bi->main_module);
	a->go.main_version = xstrdup_or_null(bi->main_version);
	a->go.vcs_revision = xstrdup_or_null(bi->vcs_revision);
	a->go.path = xstrdup_or_null(bi->path);
	if (bi->n_settings > 0) {
		a->go.setting_keys = calloc(bi->n_settings, sizeof(char *));
		a->go.setting_values = calloc(bi->n_settings, sizeof(char *));
		if (!a->go.setting_keys || !a->go.setting_values)
			return -ENOMEM;
		for (size_t i = 0; i < bi->n_settings; i++) {
			a->go.setting_keys[i] = xstrdup_or_null(bi->settings[i].key);
			a->go.setting_values[i] = xstrdup_or_null(bi->settings[i].value);
			a->go.nsettings = i + 1;
		}
	}
	return 0;
}

/* Without a build id in the core: the core's NT_FILE list must map a file
 * of the executable's name at its load address. */
static void check_mapping(struct cw_core *core, const struct cw_exe *exe, uint64_t start, struct cw_analysis *a)
{
	size_t n = cw_core_nfiles(core);
	if (n == 0)
		return; /* nothing to compare with */
	const char *exe_base = strrchr(cw_exe_path(exe), '/');
	exe_base = exe_base ? exe_base + 1 : cw_exe_path(exe);
	for (size_t i = 0; i < n; i++) {
		const struct cw_core_file_mapping *m = cw_core_file(core, i);
		if (m->start != start || m->file_offset != 0 || !m->path)
			continue;
		const char *base = strrchr(m->path, '/');
		base = base ? base + 1 : m->path;
		if (strcmp(base, exe_base) != 0) {
			a->exe_mismatch = true;
			cw_analysis_warn(a, "the executable %s does not match the core: the core maps %s there",
					 cw_exe_path(exe), m->path);
		}
		return;
	}
	a->exe_mismatch = true;
	cw_analysis_warn(a, "the executable %s does not match the core: the core maps no file at 0x%" PRIx64,
			 cw_exe_path(exe), start);
}

/* Warns when the core's own copy of the executable's ELF headers carries
 * another build id than the executable we were given. */
static void check_build_id(struct cw_core *core, const struct cw_exe *exe, uint64_t bias, struct cw_analysis *a)
{
	const char *exe_id = cw_exe_gnu_build_id(exe);
	uint64_t first = UINT64_MAX;
	for (size_t i = 0; i < cw_exe_nsegments(exe); i++) {
		const struct cw_exe_segment *s = cw_exe_segment(exe, i);
		if (s->offset == 0 && s->vaddr < first)
			first = s->vaddr;
	}
	if (first == UINT64_MAX)
		return;
	uint64_t start = (first + bias) & ~UINT64_C(0xfff);
	_cleanup_free_ char *core_id = NULL;
	if (cw_core_build_id_at(core, start, &core_id) < 0) {
		check_mapping(core, exe, start, a);
		return;
	}
	a->core_build_id = strdup(core_id);
	if (!exe_id || strcmp(exe_id, core_id) != 0) {
		a->exe_mismatch = true;
		cw_analysis_warn(a, "the executable %s does not match the core: build id %s in the core, %s in the executable",
				 cw_exe_path(exe), core_id, exe_id ? exe_id : "(none)");
	}
}

/* Native frames for threads the Go parts left without frames (cgo, C
 * code), or for every thread of a non-Go program. */
static void merge_native_threads(struct cw_core *core, const char *exe_path, const struct cw_analyze_opts *o,
				 struct cw_analysis *a)
{
	struct cw_thread *native = NULL;
	size_t n = 0;
	int r = cw_native_unwind_libs(core, exe_path, o->library_fds, o->nlibrary_fds, &native, &n);
	if (r < 0) {
		cw_analysis_warn(a, "native unwinding failed: %s", strerror(-r));
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct cw_thread *t = NULL;
		for (size_t j = 0; j < a->nthreads; j++)
			if (a->threads[j].tid == native[i].tid)
				t = &a->threads[j];
		if (!t) {
			struct cw_thread *nt = realloc(a->threads, (a->nthreads + 1) * sizeof(*nt));
			if (!nt)
				break;
			a->threads = nt;
			t = &a->threads[a->nthreads++];
			memset(t, 0, sizeof(*t));
			t->tid = native[i].tid;
		}
		if (t->nframes == 0 && native[i].nframes > 0) {
			free(t->stack_kind);
			t->stack_kind = native[i].stack_kind;
			native[i].stack_kind = NULL;
			t->frames = native[i].frames;
			t->nframes = native[i].nframes;
			native[i].frames = NULL;
			native[i].nframes = 0;
		}
		if (!t->stack_kind)
			t->stack_kind = strdup("native");
	}
	for (size_t i = 0; i < n; i++)
		cw_thread_clear(&native[i]);
	free(native);
	for (size_t j = 0; j < a->nthreads; j++)
		if (a->threads[j].tid == a->crashed_tid)
			a->threads[j].crashed = true;
}

/* libdwfl is only asked for threads the Go parts left without frames
 * (cgo, C code, a non-Go program): it is the slowest stage otherwise. */
static bool needs_native_frames(struct cw_core *core, const struct cw_analysis *a)
{
	for (size_t i = 0; i < cw_core_nthreads(core); i++) {
		int32_t tid = cw_core_thread(core, i)->tid;
		bool has_frames = false;
		for (size_t j = 0; j < a->nthreads && !has_frames; j++)
			has_frames = a->threads[j].tid == tid && a->threads[j].nframes > 0;
		if (!has_frames)
			return true;
	}
	return false;
}

/* Threads for every NT_PRSTATUS when nothing else made them. */
static int ensure_threads(struct cw_core *core, struct cw_analysis *a)
{
	if (a->nthreads > 0)
		return 0;
	size_t n = cw_core_nthreads(core);
	if (n == 0)
		return 0;
	a->threads = calloc(n, sizeof(*a->threads));
	if (!a->threads)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		a->threads[i].tid = cw_core_thread(core, i)->tid;
		a->threads[i].crashed = a->threads[i].tid == a->crashed_tid;
	}
	a->nthreads = n;
	return 0;
}

static int analyze_go(struct cw_core *core, const struct cw_exe *exe, struct cw_mem *mem, uint64_t bias,
		      const char *go_version, const struct cw_analyze_opts *o, struct cw_analysis *a)
{
	struct cw_go_version version;
	if (cw_go_version_parse(go_version, &version) < 0) {
		cw_analysis_warn(a, "%s: unknown Go release \"%s\"", cw_exe_path(exe), go_version ? go_version : "");
		return 0;
	}
	_cleanup_(cw_pcln_freep) struct cw_pcln *pcln = NULL;
	int r = cw_pcln_open(exe, &version, &pcln);
	if (r < 0) {
		cw_analysis_warn(a, "no usable Go pclntab in %s: %s", cw_exe_path(exe), strerror(-r));
		return 0;
	}
	struct cw_go_ctx ctx = {
		.core = core,
		.exe = exe,
		.mem = mem,
		.pcln = pcln,
		.arch = cw_core_arch(core),
		.load_bias = bias,
		.go_minor = version.minor,
		.version = version,
	};
	bool approx = false;
	ctx.layout = cw_go_layout_for_version(&version, &approx);
	if (ctx.layout && approx)
		cw_analysis_warn(a, "no runtime layout for %s: using %s's", go_version, ctx.layout->probe_version);
	/* the binary's own DWARF, where it has one, wins over the table */
	struct cw_go_layout dwarf_layout;
	if (ctx.layout && cw_exe_has_dwarf(exe)) {
		dwarf_layout = *ctx.layout;
		size_t nfound = 0, nchanged = 0;
		r = cw_go_layout_apply_dwarf(cw_exe_dwarf(exe), &dwarf_layout, &nfound, &nchanged);
		if (r == 0 && nchanged > 0)
			cw_analysis_warn(a, "runtime layout of %s: %zu fields differ from the table made with %s: "
					 "using the binary's DWARF", go_version, nchanged, ctx.layout->probe_version);
		if (r == 0)
			ctx.layout = &dwarf_layout;
		else if (r != -ENOENT)
			cw_analysis_warn(a, "%s: runtime layout not read from DWARF: %s", cw_exe_path(exe), strerror(-r));
	}
	progress(o, "goroutines");
	r = cw_go_collect_goroutines(&ctx, a);
	if (r < 0)
		cw_analysis_warn(a, "could not list goroutines: %s", strerror(-r));
	progress(o, "panics");
	r = cw_go_collect_panics(&ctx, a);
	if (r < 0)
		cw_analysis_warn(a, "could not recover the panic or fatal error: %s", strerror(-r));
	return 0;
}

int cw_analyze_files(const char *exe_path, const char *core_path, const struct cw_analyze_opts *o,
		     struct cw_analysis **out, char *err, size_t errlen)
{
	char why[128];
	_cleanup_close_ int core_fd = -1;
	int r = cw_open_regular(core_path, &core_fd);
	if (r < 0) {
		describe_open_error(core_path, r, core_error(r), why, sizeof(why));
		return fail(err, errlen, r, "%s: %s", core_path, why);
	}
	_cleanup_close_ int exe_fd = -1;
	if (exe_path) {
		r = cw_open_regular(exe_path, &exe_fd);
		if (r < 0) {
			describe_open_error(exe_path, r, strerror(-r), why, sizeof(why));
			return fail(err, errlen, r, "%s: %s", exe_path, why);
		}
	}
	return cw_analyze_fds(exe_fd, exe_path, core_fd, core_path, o, out, err, errlen);
}

int cw_analyze_fds(int exe_fd, const char *exe_path, int core_fd, const char *core_path,
		   const struct cw_analyze_opts *o, struct cw_analysis **out, char *err, size_t errlen)
{
	struct cw_analyze_opts defaults;
	if (!o) {
		cw_analyze_opts_default(&defaults);
		o = &defaults;
	}
	if (exe_fd < 0)
		exe_path = NULL;
	progress(o, "reading core");
	_cleanup_(cw_core_freep) struct cw_core *core = NULL;
	int r = cw_core_open_fd(core_fd, 0, &core);
	if (r < 0)
		return fail(err, errlen, r, "%s: %s", core_path, core_error(r));

	_cleanup_(cw_analysis_freep) struct cw_analysis *a = calloc(1, sizeof(*a));
	if (!a)
		return fail(err, errlen, -ENOMEM, "out of memory");
	const struct cw_core_prpsinfo *ps = cw_core_prpsinfo(core);
	if (ps && ps->present) {
		a->pid = ps->pid;
		a->comm = strdup(ps->fname);
	}
	r = fill_signal(core, a);
	if (r < 0)
		return fail(err, errlen, r, "out of memory");
	fill_crashed_thread(core, a);
	if (cw_core_truncated(core))
		cw_analysis_warn(a, "the core %s is truncated: some memory is missing", core_path);

	_cleanup_(cw_exe_freep) struct cw_exe *exe = NULL;
	_cleanup_(cw_mem_freep) struct cw_mem *mem = NULL;
	uint64_t bias = 0;
	if (exe_path) {
		progress(o, "reading executable");
		r = cw_exe_open_fd(exe_fd, exe_path, &exe);
		if (r < 0) {
			char kind[160];
			return fail(err, errlen, r, "%s: %s", exe_path,
				    r == -EBADMSG ? cw_file_kind(exe_path, kind, sizeof(kind)) : strerror(-r));
		}
		a->exe_path = strdup(exe_path);
		a->build_id = xstrdup_or_null(cw_exe_gnu_build_id(exe));
		a->go_build_id = xstrdup_or_null(cw_exe_go_build_id(exe));
		const struct cw_arch *arch = cw_core_arch(core);
		if (arch && cw_exe_machine(exe) != arch->elf_machine)
			return fail(err, errlen, -EINVAL, "%s: built for another architecture than the core %s",
				    exe_path, core_path);
		r = cw_exe_load_bias(exe, core, &bias);
		if (r < 0)
			cw_analysis_warn(a, "could not work out where %s was loaded: %s", exe_path, strerror(-r));
		check_build_id(core, exe, bias, a);
	} else if (ps && ps->present) {
		a->exe_path = strdup(ps->fname);
	}
	r = cw_mem_new(core, exe, bias, &mem);
	if (r < 0)
		return fail(err, errlen, r, "%s: %s", core_path, strerror(-r));

	if (exe) {
		_cleanup_(cw_go_buildinfo_freep) struct cw_go_buildinfo *bi = NULL;
		r = cw_exe_go_buildinfo(exe, &bi);
		if (r == 0) {
			a->is_go = true;
			r = fill_go_info(bi, a);
			if (r < 0)
				return fail(err, errlen, r, "out of memory");
			r = analyze_go(core, exe, mem, bias, bi->go_version, o, a);
			if (r < 0)
				return fail(err, errlen, r, "%s: %s", core_path, strerror(-r));
		} else if (r != -ENOENT) {
			cw_analysis_warn(a, "%s: unreadable Go build info: %s", exe_path, strerror(-r));
		}
	}
	if (o->native_unwind && needs_native_frames(core, a)) {
		progress(o, "native threads");
		merge_native_threads(core, exe_path, o, a);
	}
	r = ensure_threads(core, a);
	if (r < 0)
		return fail(err, errlen, r, "out of memory");

	char fp[65];
	r = cw_fingerprint(a, fp);
	if (r < 0)
		return fail(err, errlen, r, "could not compute the fingerprint: %s", strerror(-r));
	a->fingerprint = strdup(fp);
	if (!a->fingerprint)
		return fail(err, errlen, -ENOMEM, "out of memory");
	*out = CW_TAKE_PTR(a);
	return 0;
}
