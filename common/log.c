#include "config.h"
#include "common/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-journal.h>

/* Logging configuration: written once by main(), read afterwards. */
static const char *log_program = "crashwatch";
static enum cw_log_target log_target = CW_LOG_STDERR;
static int log_max_priority = LOG_INFO;

void cw_log_setup(const char *program, enum cw_log_target target, int max_priority)
{
	if (program)
		log_program = program;
	log_target = target;
	log_max_priority = max_priority;
}

static void log_emit(int priority, const char *msg)
{
	if (priority > log_max_priority)
		return;
	if (log_target == CW_LOG_JOURNAL) {
		sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d", priority,
				"SYSLOG_IDENTIFIER=%s", log_program, NULL);
		return;
	}
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
	log_emit(priority, buf);
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
	if (priority > log_max_priority)
		return;
	if (log_target != CW_LOG_JOURNAL) {
		log_emit(priority, msg);
		return;
	}
	size_t n = 0;
	while (fields && fields[n])
		n++;
	struct iovec iov[n + 4];
	char prio[32], mid[64], ident[128];
	char *m = NULL;
	if (asprintf(&m, "MESSAGE=%s", msg) < 0)
		return;
	snprintf(prio, sizeof(prio), "PRIORITY=%d", priority);
	snprintf(ident, sizeof(ident), "SYSLOG_IDENTIFIER=%s", log_program);
	size_t k = 0;
	iov[k++] = (struct iovec){ m, strlen(m) };
	iov[k++] = (struct iovec){ prio, strlen(prio) };
	iov[k++] = (struct iovec){ ident, strlen(ident) };
	if (message_id) {
		snprintf(mid, sizeof(mid), "MESSAGE_ID=%s", message_id);
		iov[k++] = (struct iovec){ mid, strlen(mid) };
	}
	for (size_t i = 0; i < n; i++)
		iov[k++] = (struct iovec){ (void *)fields[i], strlen(fields[i]) };
	sd_journal_sendv(iov, (int)k);
	free(m);
}
