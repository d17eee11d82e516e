/* Crash loops (storage/loops.c) as text lines for the CLI's verbs. */
#ifndef CW_CLI_LOOPS_TEXT_H
#define CW_CLI_LOOPS_TEXT_H

#include <stddef.h>
#include <stdio.h>

#include "cli/crash_source.h"

struct json_object;

/* One line per loop of status's "crash_loops"; returns how many. */
size_t cw_print_crash_loops(FILE *f, struct json_object *status, const char *indent);
/* The loops the source's status knows, after a blank line; nothing when none. */
void cw_print_source_loops(struct cw_source *src, FILE *f);

#endif
