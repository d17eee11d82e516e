/* The journal as a log sink: native protocol through sd_journal_sendv(). */
#include "config.h"
#include "common/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>

#define JOURNAL_FIELDS_MAX 64

static void journal_emit(int priority, const char *program, const char *message_id, const char *const *fields,
			 const char *msg)
{
	size_t n = 0;
	while (fields && fields[n] && n < JOURNAL_FIELDS_MAX)
		n++;
	struct iovec iov[JOURNAL_FIELDS_MAX + 4];
	char prio[32], mid[64], ident[128];
	char *m = NULL;
	if (asprintf(&m, "MESSAGE=%s", msg) < 0)
		return;
	snprintf(prio, sizeof(prio), "PRIORITY=%d", priority);
	snprintf(ident, sizeof(ident), "SYSLOG_IDENTIFIER=%s", program);
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

const struct cw_log_sink cw_log_journal = { journal_emit };
