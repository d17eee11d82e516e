/* Named behaviours of the Go runtime that the analyzer reproduces and that
 * changed at some release, like OpenSSH's compat flags: the code asks
 * cw_go_quirk(version, CW_GO_QUIRK_PRINT_INDENTED), never `minor >= 23`.
 * Each quirk holds for one range of releases, kept in one table
 * (go_quirks.c); docs/go-releases.md says how a release is checked and a
 * range changed. Struct layouts are not quirks: they come from the
 * generated tables (go_layout.h). */
#ifndef CW_ANALYZER_GO_QUIRKS_H
#define CW_ANALYZER_GO_QUIRKS_H

#include <stdbool.h>

#include "analyzer/go_version.h"

enum cw_go_quirk {
	/* gentraceback (1.18-1.20): only a sigpanic frame makes its caller's
	 * pc a trap pc, and at most 100 physical frames are printed */
	CW_GO_QUIRK_GENTRACEBACK,
	/* before 1.21 the m that takes a signal sent to the process prints
	 * the traceback of whatever it interrupted, relay or not */
	CW_GO_QUIRK_SIGNAL_TAKER_PRINTS,
	/* printpanicval prints a string value with printindented: each
	 * newline is followed by a tab (1.23) */
	CW_GO_QUIRK_PRINT_INDENTED,
	/* printanycustomtype switches on Kind() (flag bits masked) rather than
	 * the stored Kind_ (1.23) */
	CW_GO_QUIRK_KIND_MASKED,
	/* a recovered panic that is panicked again prints once, as
	 * "panic: X [recovered, repanicked]" (1.25) */
	CW_GO_QUIRK_REPANICKED_MARK,
	/* ... and 1.25 marks every repanicked record, recovered or not; from
	 * 1.26 only the recovered ones */
	CW_GO_QUIRK_REPANICKED_MARK_ALL,
	/* floats print in the shortest form that reads back ('g', -1) rather
	 * than the runtime's fixed +d.dddddde+dd (1.26) */
	CW_GO_QUIRK_FLOAT_SHORTEST,
	/* a fatal error raised by runtime.fatal also prints the goroutine's
	 * panics (1.26) */
	CW_GO_QUIRK_FATAL_PRINTS_PANICS,
	/* g status _Gdeadextra (an extra m's g, printed as dead) (1.26) */
	CW_GO_QUIRK_GDEADEXTRA,
	/* g status _Gleaked (a goroutine the leak detector found), printed
	 * with its wait reason and " (leaked)" (1.26) */
	CW_GO_QUIRK_GLEAKED,
	/* goroutineheader prints a goroutine's pprof labels (g.labels, a
	 * *label.Set) when GODEBUG tracebacklabels=1 (1.26): inside the
	 * brackets, ` labels:{"k": "v"}`; from 1.27 after them, ` {k: v}`,
	 * quoted only where needed (the analysis reports the labels, not the
	 * text: docs/go-releases.md) */
	CW_GO_QUIRK_LABELS_PRINTED,
	/* funcNamePiecesForPrint keeps the text between two top-level
	 * bracket groups: main.(*T[...]).M[...] (1.27) */
	CW_GO_QUIRK_FUNCNAME_TWO_GROUPS,
	CW_GO_QUIRK_COUNT
};

/* The quirk holds for release v. */
bool cw_go_quirk(const struct cw_go_version *v, enum cw_go_quirk q);
/* "PRINT_INDENTED"; NULL for a bad id. */
const char *cw_go_quirk_name(enum cw_go_quirk q);
/* The range of a quirk as written in the table ("go1.23", NULL = open):
 * 0 or -EINVAL for a bad id. */
int cw_go_quirk_range(enum cw_go_quirk q, const char **since, const char **until);

#endif
