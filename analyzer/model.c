#include "config.h"
#include "analyzer/model.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cw_frame_clear(struct cw_frame *f)
{
	if (!f->shared) {
		free(f->function);
		free(f->file);
	}
	free(f->module);
	memset(f, 0, sizeof(*f));
}

static void frames_free(struct cw_frame *frames, size_t n)
{
	for (size_t i = 0; i < n; i++)
		cw_frame_clear(&frames[i]);
	free(frames);
}

void cw_labels_free(struct cw_label *labels, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(labels[i].key);
		free(labels[i].value);
	}
	free(labels);
}

void cw_goroutine_clear(struct cw_goroutine *g)
{
	free(g->status);
	free(g->status_at_core);
	frames_free(g->frames, g->nframes);
	cw_frame_clear(&g->created_by);
	free(g->unwind_error);
	cw_labels_free(g->labels, g->nlabels);
	memset(g, 0, sizeof(*g));
}

void cw_thread_clear(struct cw_thread *t)
{
	free(t->stack_kind);
	frames_free(t->frames, t->nframes);
	memset(t, 0, sizeof(*t));
}

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void cw_analysis_free(struct cw_analysis *a)
{
	if (!a)
		return;
	free(a->exe_path);
	free(a->build_id);
	free(a->go_build_id);
	free(a->core_build_id);
	free(a->go.version);
	free(a->go.main_module);
	free(a->go.main_version);
	free(a->go.vcs_revision);
	free(a->go.path);
	strv_free(a->go.setting_keys, a->go.nsettings);
	strv_free(a->go.setting_values, a->go.nsettings);
	free(a->signal.name);
	for (size_t i = 0; i < a->npanics; i++) {
		free(a->panics[i].message);
		free(a->panics[i].printed);
		free(a->panics[i].type);
	}
	free(a->panics);
	free(a->fatal_error);
	free(a->fault.signal);
	free(a->fault.function);
	free(a->fault.file);
	free(a->fault.instruction);
	strv_free(a->fault.context, a->fault.ncontext);
	for (size_t i = 0; i < a->ngoroutines; i++)
		cw_goroutine_clear(&a->goroutines[i]);
	free(a->goroutines);
	for (size_t i = 0; i < a->nthreads; i++)
		cw_thread_clear(&a->threads[i]);
	free(a->threads);
	free(a->fingerprint);
	strv_free(a->warnings, a->nwarnings);
	free(a->comm);
	if (a->strings_free)
		a->strings_free(a->strings);
	free(a);
}

const struct cw_goroutine *cw_analysis_crashed_goroutine(const struct cw_analysis *a)
{
	if (a->crashed_goroutine == 0)
		return NULL;
	for (size_t i = 0; i < a->ngoroutines; i++)
		if (a->goroutines[i].id == a->crashed_goroutine)
			return &a->goroutines[i];
	return NULL;
}

int cw_analysis_warn(struct cw_analysis *a, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	char **nw = realloc(a->warnings, (a->nwarnings + 1) * sizeof(*nw));
	if (!nw) {
		free(msg);
		return -ENOMEM;
	}
	a->warnings = nw;
	a->warnings[a->nwarnings++] = msg;
	return 0;
}
