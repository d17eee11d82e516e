#include "config.h"
#include "common/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Logging configuration: written once by main(), read afterwards. */
static const char *log_program = "crashwatch";
static const struct cw_log_sink *log_sink; /* NULL: stderr */
static int log_max_priority = LOG_INFO;

void cw_log_setup(const char *program, const struct cw_log_sink *sink, int max_priority)
{
	if (program)
		log_program = program;
	log_sink = sink;
	log_max_priority = max_priority;
}

static void log_emit(int priority, const char *message_id, const char *const *fields, const char *msg)
{
	if (priority > log_max_priority)
		return;
	if (log_sink)
		log_sink->emit(priority, log_program, message_id, fields, msg);
	else
		fprintf(stderr, "%s: %s\n", log_program, msg);
}

int cw_log_full(int priority, int err, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (err != 0) {
		size_t n = strlen(buf);
		snprintf(buf + n, sizeof(buf) - n, ": %s", strerror(abs(err)));
	}
	log_emit(priority, NULL, NULL, buf);
	return err ? -abs(err) : 0;
}

void cw_log_struct(int priority, const char *message_id, const char *const *fields,
		   const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_emit(priority, message_id, fields, msg);
}
