/* Internals shared by the panic, fatal error and fault recovery
 * (go_panic.c, go_panic_value.c, go_fatal.c, go_fault.c). The entry point
 * is cw_go_collect_panics in analyzer/go_ctx.h. */
#ifndef CW_ANALYZER_GO_PANIC_H
#define CW_ANALYZER_GO_PANIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyzer/go_ctx.h"
#include "analyzer/go_types.h"

/* Longest string value (panic message, fatal error) read from the core;
 * longer ones are cut there. */
#define CW_GO_MESSAGE_MAX (64u * 1024u)

/* ---- go_panic_value.c: values printed like runtime.printpanicval ---- */

/* The text the runtime prints for a float64 (or, when is32, a float32
 * widened to float64): "+1.500000e+000", or when shortest (the quirk
 * CW_GO_QUIRK_FLOAT_SHORTEST, 1.26) strconv's shortest 'g' form ("1.5").
 * buf of >= 32 bytes. */
void cw_go_format_float(double v, bool is32, bool shortest, char *buf, size_t len);
/* "(re+imi)" the same way; buf of >= 72 bytes. */
void cw_go_format_complex(double re, double im, bool is64, bool shortest, char *buf, size_t len);
/* The panic value eface {type_addr, data} as printpanicval prints it
 * (printindented from 1.23: every "\n" followed by "\t"), and the
 * type's name ("string", "main.statusCode", "nil"). Both malloc'd.
 * 0, or a negative errno when the value or its type cannot be read. */
int cw_go_panic_value(const struct cw_go_types *t, uint64_t type_addr, uint64_t data,
		      char **message, char **type_name);
/* What printpanicval prints of the value before it reads the value's data
 * (the text before a fault there, "panic during panic"): from 1.23 a named
 * string type prints `T("` first, everything else nothing. *printed and
 * *type_name malloc'd; 0, or a negative errno when the type is unreadable. */
int cw_go_panic_value_prefix(const struct cw_go_types *t, uint64_t type_addr, char **printed,
			     char **type_name);
/* s[0..len) as printindented prints it (when indented: the quirk
 * CW_GO_QUIRK_PRINT_INDENTED, 1.23) or as is: malloc'd. */
char *cw_go_printed_string(const char *s, size_t len, bool indented);
/* The inverse: the printed text without the tab printindented puts after
 * each newline when indented (the value of an errors.Join error: its lines
 * joined by "\n"); malloc'd. */
char *cw_go_unindented_string(const char *printed, bool indented);
/* Reads a Go string {ptr, len} of at most CW_GO_MESSAGE_MAX bytes (cut
 * there when longer): malloc'd into *out. */
int cw_go_read_string(struct cw_mem *mem, uint64_t ptr, uint64_t len, char **out);

/* ---- go_panic.c ---- */

/* The module's type descriptor range for t (moduledata.types, etypes). */
int cw_go_types_init(struct cw_go_ctx *ctx, struct cw_go_types *t);
/* The goroutine struct of the crashed goroutine, or NULL. */
const struct cw_goroutine *cw_go_crashed_goroutine(const struct cw_analysis *a);

/* ---- go_fatal.c ---- */

/* The text after "fatal error: " recovered from the runtime.throw /
 * runtime.fatal frame (the string captured by its systemstack closure) or
 * from its call site (the string loaded into the argument registers
 * before CALL). malloc'd into *out; *via_fatal tells runtime.fatal from
 * runtime.throw. -ENOENT when no throw is on a stack, -EBADMSG when one
 * is but its message could not be recovered. */
int cw_go_fatal_message(struct cw_go_ctx *ctx, const struct cw_analysis *a, char **out, bool *via_fatal);

/* [lo, hi) of the g0 (or gsignal) stack of the M running on the crashed
 * thread: 0, -ENOENT, -EFAULT. */
int cw_go_crashed_m_stack(struct cw_go_ctx *ctx, const struct cw_analysis *a, bool gsignal,
			  uint64_t *lo, uint64_t *hi);
/* The runtime.m running on the crashed thread: 0, -ENOENT, -EFAULT. */
int cw_go_crashed_m(struct cw_go_ctx *ctx, const struct cw_analysis *a, uint64_t *m);
/* True when an m has m.dying == 2: startpanic_m ran on an m that was
 * already dying and printed "panic during panic". Not necessarily the
 * crashed thread's m: up to 1.21 the last m of the SIGQUIT relay crashes. */
bool cw_go_panic_during_panic(struct cw_go_ctx *ctx);

/* ---- go_fault.c ---- */

/* Fills a->fault from the crashed goroutine's sig/sigcode0/sigcode1/sigpc
 * (the runtime's "[signal ...]" line), else from a synchronous NT_SIGINFO
 * and the crashed thread's registers. 0 also when there was no fault. */
int cw_go_collect_fault(struct cw_go_ctx *ctx, struct cw_analysis *a);

#endif
