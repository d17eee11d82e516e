/* Pager and colours: only when stdout is a terminal, never in pipes. */
#ifndef CW_CLI_TERMINAL_H
#define CW_CLI_TERMINAL_H

#include <stdbool.h>

/* True when stdout is a terminal and NO_COLOR is unset and TERM is not dumb. */
bool cw_use_color(void);
/* Pipes stdout through $CRASHWATCH_PAGER / $PAGER / less when stdout is
 * a terminal (and not disabled); cw_pager_close() waits for it. */
void cw_pager_open(bool disabled);
void cw_pager_close(void);

#define CW_ANSI_BOLD "\033[1m"
#define CW_ANSI_RED "\033[31m"
#define CW_ANSI_DIM "\033[2m"
#define CW_ANSI_RESET "\033[0m"

#endif
