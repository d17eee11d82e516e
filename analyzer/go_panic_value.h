/* go_panic_value.c: Go values and strings printed the way the runtime
 * prints them (printpanicval, printindented, printfloat), for the panic
 * chain (go_panic.c) and the fatal error (go_fatal.c). */
#ifndef CW_ANALYZER_GO_PANIC_VALUE_H
#define CW_ANALYZER_GO_PANIC_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyzer/go_types.h"
#include "analyzer/memory.h"

/* Longest string value (panic message, fatal error) read from the core;
 * longer ones are cut there. */
#define CW_GO_MESSAGE_MAX (64u * 1024u)

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

#endif
