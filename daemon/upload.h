/* The uploader: drains the outbox (storage/outbox.h) to the [Upload]
 * endpoints with libcurl's multi interface, inside the daemon's event loop.
 *
 * Event loop use (poll, sd-event or epoll alike):
 *     cw_uploader_new(cfg, db, NULL, NULL, &u, err, sizeof err);
 *     loop: watch cw_uploader_fd(u) for input (EPOLLIN/POLLIN), with a
 *           timeout of cw_uploader_timeout_ms(u); on either, call
 *           cw_uploader_dispatch(u).
 *     after storing a crash (cw_upload_enqueue in the same transaction),
 *           call cw_uploader_dispatch(u) to start at once.
 *     cw_uploader_free(u) on exit or before re-creating it on SIGHUP.
 *
 * Delivery policy: 2xx delivered; network errors, timeouts, 408, 409, 425,
 * 429 and 5xx retried with exponential backoff (RetryInitialSec= doubling
 * up to RetryMaxSec=, "equal jitter": a random point in the upper half),
 * Retry-After (429/503) honoured and, for 429, applied to the whole
 * endpoint; after MaxAttempts= attempts, or at once for other statuses,
 * the row is dead-lettered (crashwatch uploads retry brings it back).
 * Every attempt of a row carries its delivery id (webhook-id, Sentry
 * event_id), so a receiver can drop repeats. */
#ifndef CW_DAEMON_UPLOAD_H
#define CW_DAEMON_UPLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "storage/outbox.h"

struct cw_db;
struct cw_config;
struct cw_crash_report;
struct cw_uploader;

#define CW_UPLOAD_MAX_IN_FLIGHT 4        /* transfers per endpoint */
#define CW_UPLOAD_POLL_MS 5000           /* re-read the outbox at least this often */
#define CW_UPLOAD_RETRY_AFTER_MAX 86400  /* a Retry-After beyond a day is cut to a day */
#define CW_UPLOAD_RESPONSE_KEEP 200      /* bytes of an error response kept in last_error */
#define CW_UPLOAD_KEEP_DELIVERED (30 * 86400) /* delivered rows are forgotten after 30 days */
#define CW_UPLOAD_PRUNE_EVERY_MS (3600 * 1000)

/* One finished attempt, for the caller to log (never contains secrets). */
struct cw_upload_result {
	const char *endpoint;
	const char *delivery_id;
	const char *crash_id;
	enum cw_outbox_state state;      /* delivered, pending (will retry) or dead */
	int64_t attempts;
	int http_status;                 /* 0: no response */
	const char *error;               /* NULL when delivered */
	int64_t next_attempt_at;         /* when state is pending */
};

typedef void (*cw_upload_result_fn)(void *userdata, const struct cw_upload_result *r);

/* Reads every endpoint's SecretFile=, TokenFile= and DSN= (an error names
 * the section in err), recovers rows a previous run left 'sending', and
 * borrows cfg and db until cw_uploader_free. on_result may be NULL. */
int cw_uploader_new(const struct cw_config *cfg, struct cw_db *db, cw_upload_result_fn on_result,
		    void *userdata, struct cw_uploader **out, char *err, size_t errlen);

/* Reads every endpoint's URLFile=, SecretFile=, TokenFile= and DSN= as
 * cw_uploader_new does, for `crashwatch config check`; files this user may
 * not read are skipped. The first problem is described in err. */
int cw_upload_check(const struct cw_config *cfg, char *err, size_t errlen);

/* In-flight transfers are abandoned: their rows go back to pending. */
void cw_uploader_free(struct cw_uploader *u);

/* The one file descriptor to watch for input (an epoll set of all sockets). */
int cw_uploader_fd(const struct cw_uploader *u);

/* Milliseconds until cw_uploader_dispatch must run even without input:
 * -1 when no endpoint is configured. */
int cw_uploader_timeout_ms(struct cw_uploader *u);

/* Does what is due: moves transfers on, records finished ones in the
 * outbox, claims due rows and starts them. Never blocks. */
int cw_uploader_dispatch(struct cw_uploader *u);

size_t cw_uploader_in_flight(const struct cw_uploader *u);

/* Queues crash c for every endpoint of cfg that wants it (Events=); call
 * inside the transaction that stores the crash. */
int cw_upload_enqueue(struct cw_db *db, const struct cw_config *cfg,
		      const struct cw_crash_report *c, int64_t now);

/* A cw_crash_insert_hook (storage/storage.h) that queues the crash for
 * every endpoint; userdata is the daemon's const struct cw_config *. Use:
 *     cw_crash_insert_hooked(db, &c, cw_upload_crash_hook, &d->cfg, &id) */
struct cw_crash_record;
int cw_upload_crash_hook(struct cw_db *db, const struct cw_crash_record *c, int64_t id, void *userdata);

/* Delay before attempt number attempts+1 after attempts failed ones
 * (without Retry-After): min(RetryMaxSec, RetryInitialSec * 2^(attempts-1)),
 * jittered into its upper half, at least 1 s. random is any 32-bit value. */
int64_t cw_upload_backoff(uint64_t initial, uint64_t max, int64_t attempts, uint32_t random);

/* Whether an HTTP status (0 = no response) is worth retrying. */
int cw_upload_status_retryable(int status);

#endif
