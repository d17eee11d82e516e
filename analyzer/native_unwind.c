/* Native unwinding with libdwfl over the core: report the modules from the
 * core's link map / NT_FILE, attach the core's threads, and walk each
 * thread's frames (bounded). */
#include "config.h"
#include "analyzer/native_unwind.h"

#include <dwarf.h>
#include <elfutils/libdwelf.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"

#define NATIVE_MAX_THREADS 100000U

/* A library file handed over by descriptor (a container's library kept by
 * the collector, or `crashwatch analyze --library`), by its own build id. */
struct lib_file {
	int fd;                  /* not ours */
	const unsigned char *id; /* in elf's memory */
	int idlen;
	Elf *elf;
};

struct lib_set {
	struct lib_file *v;
	size_t n;
};

struct unwind_ctx {
	Dwfl *dwfl;
	int32_t crashed_tid;
	struct cw_thread *threads;
	size_t nthreads, cap;
	size_t frames_cap;     /* of the current thread's frames array */
	int error;             /* first allocation failure */
};

void cw_native_threads_free(struct cw_thread *threads, size_t n)
{
	for (size_t i = 0; i < n; i++)
		cw_thread_clear(&threads[i]);
	free(threads);
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int frame_cb(Dwfl_Frame *frame, void *arg)
{
	struct unwind_ctx *ctx = arg;
	struct cw_thread *t = &ctx->threads[ctx->nthreads - 1];
	if (t->nframes >= CW_NATIVE_MAX_FRAMES)
		return DWARF_CB_ABORT;
	if (t->nframes == ctx->frames_cap) {
		size_t nc = ctx->frames_cap ? ctx->frames_cap * 2 : 16;
		struct cw_frame *nf = realloc(t->frames, nc * sizeof(*nf));
		if (!nf) {
			ctx->error = -ENOMEM;
			return DWARF_CB_ABORT;
		}
		t->frames = nf;
		ctx->frames_cap = nc;
	}
	Dwarf_Addr pc;
	bool activation;
	if (!dwfl_frame_pc(frame, &pc, &activation))
		return DWARF_CB_ABORT;
	/* a return address points after the call: look up the call */
	Dwarf_Addr lookup = activation || pc == 0 ? pc : pc - 1;
	struct cw_frame *f = &t->frames[t->nframes];
	memset(f, 0, sizeof(*f));
	f->pc = pc;
	Dwfl_Module *mod = dwfl_addrmodule(ctx->dwfl, lookup);
	const char *fn = mod ? dwfl_module_addrname(mod, lookup) : NULL;
	f->function = strdup(fn ? fn : "??");
	if (!f->function)
		goto nomem;
	if (mod) {
		const char *mname = dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
		if (mname && *mname) {
			f->module = strdup(base_name(mname));
			if (!f->module)
				goto nomem;
		}
		Dwfl_Line *line = dwfl_module_getsrc(mod, lookup);
		int lineno = 0;
		const char *src = line ? dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL) : NULL;
		if (src) {
			f->file = dup_or_null(src);
			if (!f->file)
				goto nomem;
			f->line = lineno;
		}
	}
	t->nframes++;
	return DWARF_CB_OK;
nomem:
	cw_frame_clear(f);
	ctx->error = -ENOMEM;
	return DWARF_CB_ABORT;
}

static int thread_cb(Dwfl_Thread *thread, void *arg)
{
	struct unwind_ctx *ctx = arg;
	if (ctx->nthreads >= NATIVE_MAX_THREADS)
		return DWARF_CB_ABORT;
	if (ctx->nthreads == ctx->cap) {
		size_t nc = ctx->cap ? ctx->cap * 2 : 16;
		struct cw_thread *n = realloc(ctx->threads, nc * sizeof(*n));
		if (!n) {
			ctx->error = -ENOMEM;
			return DWARF_CB_ABORT;
		}
		ctx->threads = n;
		ctx->cap = nc;
	}
	struct cw_thread *t = &ctx->threads[ctx->nthreads];
	memset(t, 0, sizeof(*t));
	t->tid = (int32_t)dwfl_thread_tid(thread);
	t->crashed = t->tid == ctx->crashed_tid;
	t->stack_kind = strdup("native");
	ctx->frames_cap = 0;
	if (!t->stack_kind) {
		cw_thread_clear(t);
		ctx->error = -ENOMEM;
		return DWARF_CB_ABORT;
	}
	ctx->nthreads++;
	/* an unwinding error ends this thread's frames, not the analysis */
	(void)dwfl_thread_getframes(thread, frame_cb, ctx);
	return ctx->error ? DWARF_CB_ABORT : DWARF_CB_OK;
}

/* find_elf: a handed-over file whose build id is the one the core
 * records for this module, else what libdwfl finds by build id and by
 * the module's path. libdwfl checks the build id of what it gets again. */
static int find_elf_cb(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
		       char **file_name, Elf **elfp)
{
	const struct lib_set *libs = *userdata;
	const unsigned char *bits = NULL;
	GElf_Addr vaddr;
	int len = libs && libs->n ? dwfl_module_build_id(mod, &bits, &vaddr) : 0;
	for (size_t i = 0; len > 0 && i < libs->n; i++) {
		const struct lib_file *l = &libs->v[i];
		if (l->idlen != len || memcmp(l->id, bits, (size_t)len) != 0)
			continue;
		int fd = fcntl(l->fd, F_DUPFD_CLOEXEC, 0); /* libdwfl closes what it gets */
		if (fd < 0)
			break;
		*elfp = NULL;
		*file_name = NULL;
		return fd;
	}
	return dwfl_build_id_find_elf(mod, userdata, modname, base, file_name, elfp);
}

static int set_module_libs(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr start, void *arg)
{
	*userdata = arg;
	return DWARF_CB_OK;
}

static void lib_set_free(struct lib_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		elf_end(s->v[i].elf);
	free(s->v);
}

/* Reads each file's GNU build id (files without one cannot match). */
static int lib_set_init(struct lib_set *s, const int *fds, size_t n)
{
	memset(s, 0, sizeof(*s));
	if (!n)
		return 0;
	s->v = calloc(n, sizeof(*s->v));
	if (!s->v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		Elf *e = fds[i] >= 0 ? elf_begin(fds[i], ELF_C_READ_MMAP, NULL) : NULL;
		const void *id = NULL;
		ssize_t len = e ? dwelf_elf_gnu_build_id(e, &id) : -1;
		if (len <= 0 || len > 64) {
			if (e)
				elf_end(e);
			continue;
		}
		s->v[s->n++] = (struct lib_file){ .fd = fds[i], .id = id, .idlen = (int)len, .elf = e };
	}
	return 0;
}

static void dwfl_endp(Dwfl **d)
{
	if (*d)
		dwfl_end(*d);
}

static void elf_endp(Elf **e)
{
	if (*e)
		elf_end(*e);
}

int cw_native_unwind(struct cw_core *core, const char *exe_path, struct cw_thread **out, size_t *n)
{
	return cw_native_unwind_libs(core, exe_path, NULL, 0, out, n);
}

int cw_native_unwind_libs(struct cw_core *core, const char *exe_path, const int *lib_fds, size_t nlibs,
			  struct cw_thread **out, size_t *n)
{
	if (!core || !out || !n)
		return -EINVAL;
	int fd;
	int ret = cw_core_raw_fd(core, &fd);
	if (ret < 0)
		return ret;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOTSUP;
	CW_CLEANUP(elf_endp) Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf)
		return -EBADMSG;
	CW_CLEANUP(lib_set_free) struct lib_set libs = { 0 };
	ret = lib_set_init(&libs, lib_fds, nlibs);
	if (ret < 0)
		return ret;
	char *debuginfo_path = NULL;
	const Dwfl_Callbacks callbacks = {
		.find_elf = find_elf_cb,
		.find_debuginfo = dwfl_standard_find_debuginfo,
		.debuginfo_path = &debuginfo_path,
	};
	CW_CLEANUP(dwfl_endp) Dwfl *dwfl = dwfl_begin(&callbacks);
	if (!dwfl)
		return -ENOMEM;
	dwfl_report_begin(dwfl);
	if (dwfl_core_file_report(dwfl, elf, exe_path) < 0)
		return -EBADMSG;
	if (dwfl_report_end(dwfl, NULL, NULL) != 0)
		return -EBADMSG;
	/* each module's userdata: the handed-over libraries, for find_elf_cb */
	(void)dwfl_getmodules(dwfl, set_module_libs, &libs, 0);
	if (dwfl_core_file_attach(dwfl, elf) < 0)
		return -EBADMSG;
	struct unwind_ctx ctx = { .dwfl = dwfl };
	const struct cw_core_thread *first = cw_core_thread(core, 0);
	ctx.crashed_tid = first ? first->tid : 0;
	(void)dwfl_getthreads(dwfl, thread_cb, &ctx);
	if (ctx.error < 0) {
		cw_native_threads_free(ctx.threads, ctx.nthreads);
		return ctx.error;
	}
	*out = ctx.threads;
	*n = ctx.nthreads;
	return 0;
}
