/* The analyzer's result model: what one analysis found. Filled by the
 * parts (go_runtime/go_unwind: goroutines and threads; go_panic: panics,
 * fatal error, fault; native_unwind: native threads), rendered by
 * report_json.c (the crashwatch.analysis.v1 contract) and report_text.c. */
#ifndef CW_ANALYZER_MODEL_H
#define CW_ANALYZER_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cw_frame {
	char *function;        /* as the runtime prints it; "??" when unknown */
	char *file;            /* NULL when unknown */
	int32_t line;          /* 0 when unknown */
	uint64_t pc;           /* the value the runtime prints as pc= (runtime address) */
	uint64_t sp;           /* frame's stack pointer, 0 when unknown */
	bool inlined;
	bool shared;           /* function and file live in cw_analysis.strings: not freed with the frame */
	char *module;          /* native frames: the ELF module (libc.so.6), else NULL */
};

/* Whether the runtime prints goroutines' labels (GODEBUG tracebacklabels,
 * Go 1.26+): unknown for other releases and programs. */
enum cw_labels_printed {
	CW_LABELS_UNKNOWN = 0,
	CW_LABELS_SHOWN,
	CW_LABELS_HIDDEN,
};

/* A pprof label of a goroutine (runtime/pprof.Do, SetGoroutineLabels). */
struct cw_label {
	char *key;
	char *value;
};

struct cw_goroutine {
	int64_t id;
	uint64_t g_addr;               /* address of the runtime.g */
	uint32_t atomicstatus;         /* raw g.atomicstatus */
	char *status;                  /* as in the runtime's header: "running", "chan receive", ... */
	char *status_at_core;          /* what g.atomicstatus says when the runtime printed status before a change, else NULL */
	int64_t wait_minutes;          /* 0 when not printed */
	bool locked_to_thread;
	int32_t thread;                /* tid of the thread running it, 0 when none */
	bool system;                   /* runtime-internal goroutine (isSystemGoroutine) */
	struct cw_frame *frames;       /* innermost first */
	size_t nframes;
	bool frames_truncated;         /* the runtime's "...additional frames elided..." */
	bool has_created_by;
	struct cw_frame created_by;    /* function, file, line, pc of the go statement */
	int64_t created_by_goroutine;  /* parent goid (Go 1.21+), 0 when unknown */
	char *unwind_error;            /* why the unwinder stopped early, or NULL */
	struct cw_label *labels;       /* pprof labels, in the runtime's order (Go 1.26+) */
	size_t nlabels;
};

struct cw_thread {
	int32_t tid;
	bool crashed;
	int64_t goroutine;             /* curg's goid, 0 when none */
	char *stack_kind;              /* "g0", "gsignal", "goroutine", "native" */
	struct cw_frame *frames;       /* system stack or native frames */
	size_t nframes;
};

struct cw_panic {
	char *message;                 /* the value as text: printed without the runtime's indentation */
	char *printed;                 /* as printed after "panic: " without " [recovered]" (1.23+: "\n\t") */
	char *type;                    /* Go type of the value: "string", "*errors.errorString", "runtime.boundsError", ... */
	bool recovered;
	bool repanicked;            /* Go 1.25+: printed " [recovered, repanicked]" (go_panic.c) */
	bool goexit;
};

struct cw_fault {
	bool present;
	char *signal;                  /* "SIGSEGV" */
	int32_t signo;
	int64_t code;
	uint64_t address;
	uint64_t pc;
	char *function;
	char *file;
	int32_t line;
	char *instruction;             /* "mov rax, qword ptr [rax + 8]" */
	char **context;                /* a few disassembled lines around pc, "0x4812f0: mov ..." */
	size_t ncontext;
	size_t context_pc_index;       /* which context line is the faulting one */
};

struct cw_signal_info {
	bool present;
	int32_t number;
	char *name;                    /* "SIGABRT" */
	int64_t code;
	bool has_address;
	uint64_t address;
};

struct cw_go_info {
	char *version, *main_module, *main_version, *vcs_revision, *path;
	char **setting_keys, **setting_values;
	size_t nsettings;
};

struct cw_analysis {
	char *exe_path;
	char *build_id;                /* GNU build id of the executable */
	char *go_build_id;
	char *core_build_id;           /* build id seen in the core's mapping of the exe, if any */
	bool exe_mismatch;             /* the executable does not match the core (analysis.c warns why) */
	bool is_go;
	struct cw_go_info go;
	struct cw_signal_info signal;
	struct cw_panic *panics;       /* in the order the runtime prints them */
	size_t npanics;
	char *fatal_error;
	bool panic_during_panic;       /* the runtime printed "panic during panic" (go_panic.c) */
	enum cw_labels_printed traceback_labels;   /* whether goroutineheader prints labels (go_labels.c) */
	struct cw_fault fault;
	int64_t crashed_goroutine;     /* 0 when none */
	int32_t crashed_tid;
	struct cw_goroutine *goroutines;
	size_t ngoroutines;
	struct cw_thread *threads;
	size_t nthreads;
	char *fingerprint;             /* sha256 hex */
	char **warnings;               /* e.g. executable does not match the core */
	size_t nwarnings;
	int32_t pid;
	char *comm;
	void *strings;                 /* storage shared by frames (interned names), or NULL */
	void (*strings_free)(void *);  /* frees it, after every frame */
};

void cw_frame_clear(struct cw_frame *f);
/* Frees n labels and the array. */
void cw_labels_free(struct cw_label *labels, size_t n);
void cw_goroutine_clear(struct cw_goroutine *g);
void cw_thread_clear(struct cw_thread *t);
void cw_analysis_free(struct cw_analysis *a);
/* The goroutine whose id is a->crashed_goroutine, or NULL (none known, or
 * not among a->goroutines). */
const struct cw_goroutine *cw_analysis_crashed_goroutine(const struct cw_analysis *a);
/* Appends a warning (printf-style); 0 or -ENOMEM. */
int cw_analysis_warn(struct cw_analysis *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
