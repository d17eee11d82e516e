/* Signal names as crashwatch prints and stores them ("SIGSEGV", the
 * spelling of the Go runtime's "[signal SIGSEGV: ...]" line, of the
 * analysis JSON and of the record's signal_name), and the Go runtime's
 * descriptions of the synchronous signals. */
#ifndef CW_COMMON_SIGNAL_NAME_H
#define CW_COMMON_SIGNAL_NAME_H

#include <stddef.h>

#define CW_SIGNAL_NAME_MAX 32 /* a buffer that holds every name */

/* "SIGSEGV" for 11, written into buf (len bytes); NULL when signo has no
 * name (<= 0, real-time, unknown) or buf is too small. Without printf:
 * `crashwatch list` calls it for each row. */
const char *cw_signal_name(int signo, char *buf, size_t len);
/* The name, or "signal N" when it has none (malloc'd; NULL without memory). */
char *cw_signal_name_alloc(int signo);
/* The Go runtime's words for a synchronous signal (runtime/sigtab_linux_generic.go):
 * "segmentation violation" for "SIGSEGV"; NULL for any other name or NULL. */
const char *cw_signal_description(const char *name);

#endif
