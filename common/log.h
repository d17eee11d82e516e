/* Logging: stderr by default, the systemd journal when a program asks. */
#ifndef CW_COMMON_LOG_H
#define CW_COMMON_LOG_H

#include <stdarg.h>
#include <syslog.h>

/* A destination other than stderr. The journal's (common/log_journal.c) is
 * the only one; programs that never name it (crashwatch) do not load
 * libsystemd for it. */
struct cw_log_sink {
	/* fields: extra "KEY=value" strings, NULL-terminated (may be NULL) */
	void (*emit)(int priority, const char *program, const char *message_id, const char *const *fields,
		     const char *msg);
};
extern const struct cw_log_sink cw_log_journal;

/* Configuration, set once at start-up by each program's main();
 * sink NULL: stderr. */
void cw_log_setup(const char *program, const struct cw_log_sink *sink, int max_priority);

/* Log a message at a syslog priority; returns -abs(err) when err != 0,
 * else 0, so callers can write `return cw_log_errno(LOG_ERR, r, ...)`. */
int cw_log_full(int priority, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Structured journal entry: a MESSAGE plus extra "KEY=value" fields
 * (NULL-terminated). Plain stderr (the message only) when not on the journal. */
void cw_log_struct(int priority, const char *message_id, const char *const *fields,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#define cw_log_error(...) cw_log_full(LOG_ERR, 0, __VA_ARGS__)
#define cw_log_warning(...) cw_log_full(LOG_WARNING, 0, __VA_ARGS__)
#define cw_log_info(...) cw_log_full(LOG_INFO, 0, __VA_ARGS__)
#define cw_log_debug(...) cw_log_full(LOG_DEBUG, 0, __VA_ARGS__)
#define cw_log_errno(prio, err, ...) cw_log_full(prio, err, __VA_ARGS__)

#endif
