/* crashwatchd's glue between the uploader (daemon/upload.h) and its
 * sd-event loop; outcomes are logged to the journal (MESSAGE_IDs below,
 * fields CRASHWATCH_ID, CRASHWATCH_ENDPOINT, CRASHWATCH_DELIVERY_ID,
 * CRASHWATCH_ATTEMPT, CRASHWATCH_HTTP_STATUS). Secrets are never logged. */
#ifndef CW_DAEMON_UPLOAD_SERVICE_H
#define CW_DAEMON_UPLOAD_SERVICE_H

#include <systemd/sd-event.h>

struct cw_config;
struct cw_db;
struct cw_upload_service;

#define CW_MID_UPLOAD_DELIVERED "5f3a2b1c0d9e4f8a7b6c5d4e3f2a1b0c"
#define CW_MID_UPLOAD_FAILED    "8e7d6c5b4a39482f1e0d9c8b7a695847"
#define CW_MID_UPLOAD_DEAD      "c1d2e3f4a5b64c7d8e9f0a1b2c3d4e5f"

/* Starts draining the outbox of db to cfg's endpoints (nothing to do and
 * *out = a valid idle service when there are none). An error in an
 * endpoint (unreadable SecretFile=, bad DSN=) is logged and fails. */
int cw_upload_service_start(sd_event *ev, struct cw_db *db, const struct cw_config *cfg,
			    struct cw_upload_service **out);
/* After SIGHUP: re-reads endpoints and secrets from the new cfg. On failure
 * the old endpoints stay in use. */
int cw_upload_service_reload(struct cw_upload_service *s, const struct cw_config *cfg);
/* After a crash was stored: start its deliveries now. */
void cw_upload_service_kick(struct cw_upload_service *s);
void cw_upload_service_stop(struct cw_upload_service *s);

#endif
