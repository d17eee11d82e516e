/* Exit codes shared by crashwatch, crashwatchd and crashwatch-collect. */
#ifndef CW_COMMON_EXIT_CODES_H
#define CW_COMMON_EXIT_CODES_H

#define CW_EXIT_OK 0
#define CW_EXIT_FAILURE 1     /* the operation failed (bad core, I/O error ...) */
#define CW_EXIT_USAGE 2       /* bad command line */
#define CW_EXIT_CONFIG 3      /* bad configuration file */
#define CW_EXIT_NOTFOUND 4    /* no such crash / file */
#define CW_EXIT_PERMISSION 5  /* not allowed (other user's crash, needs root) */
#define CW_EXIT_UNAVAILABLE 6 /* daemon not running / database unavailable */
#define CW_EXIT_MISMATCH 7    /* analyze: executable does not match the core (with --strict) */

#endif
