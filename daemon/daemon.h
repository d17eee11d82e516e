/* crashwatchd's shared state: one event loop, one writer connection. */
#ifndef CW_DAEMON_DAEMON_H
#define CW_DAEMON_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <systemd/sd-event.h>

#include "common/cwconfig.h"
#include "daemon/analyze_child.h"
#include "storage/storage.h"

struct cw_upload_service;

/* MESSAGE_IDs of crashwatchd's journal entries (journalctl MESSAGE_ID=...). */
#define CW_MID_CRASH_STORED    "6a1e8f0c3b2d4e5f9a7c1d2e3f4a5b6c"
#define CW_MID_ANALYSIS_FAILED "b7d41c9e2a3f4b5c8d6e7f8091a2b3c4"
#define CW_MID_CORE_REMOVED    "0f9e8d7c6b5a4f3e2d1c0b9a89786756"
#define CW_MID_DAEMON_STARTED  "3c4d5e6f708192a3b4c5d6e7f8091a2b"

struct cw_daemon {
	struct cw_config cfg;
	const char *config_path;
	sd_event *ev;
	struct cw_db *db;
	char *spool_dir, *cores_dir;
	int spool_fd, cores_fd;
	struct cw_sandbox sandbox;

	/* spool entries waiting for analysis (IDs), oldest first */
	char **queue;
	size_t queue_len, queue_cap;
	struct cw_ingest *current;   /* the entry being analysed, or NULL */
	bool stopping;

	sd_event_source *inotify_src, *retention_timer;
	int query_fd;
	sd_event_source *query_src;
	unsigned query_connections;
	uint64_t ingested, failed;
	struct cw_upload_service *uploads;
	int core_fd;                 /* @socket core_pattern listener, or -1 */
	sd_event_source *core_src;
	sd_event_source *loop_timer; /* loop_report.c */
};

/* spool_watch.c: inotify on the spool, and a scan at start-up and when
 * inotify overflows; every ID.meta found is pushed to the work queue. */
int cw_spool_watch_start(struct cw_daemon *d);
int cw_spool_scan(struct cw_daemon *d);

/* work_queue.c: the spool IDs waiting for analysis (d->queue). */
/* Adds spool ID to the queue (once); cw_queue_kick() starts it. */
int cw_queue_push(struct cw_daemon *d, const char *id);
/* Starts the oldest entries while none is being analysed (and updates STATUS=). */
void cw_queue_kick(struct cw_daemon *d);
/* Forgets every waiting ID (at exit). */
void cw_queue_clear(struct cw_daemon *d);

/* ingest.c: takes one spool entry through analysis into the database. */
int cw_ingest_start(struct cw_daemon *d, const char *id);
void cw_ingest_abort(struct cw_daemon *d);

/* retention.c */
int cw_retention_run(struct cw_daemon *d);
/* Forgets ended crash loops and expired collector loop markers (hourly, at
 * start and on reload). */
int cw_retention_loops(struct cw_daemon *d);
int cw_retention_start(struct cw_daemon *d);

/* query_socket.c */
int cw_query_socket_start(struct cw_daemon *d, int listen_fd);

/* core_socket.c: the kernel's @socket entry (Linux >= 6.16). Returns 1
 * when listening, 0 when not configured. */
bool cw_core_socket_supported(void);
/* Whether the kernel has the "@@" request protocol (Linux >= 6.17). */
bool cw_core_socket_request_supported(void);
int cw_core_socket_start(struct cw_daemon *d);

/* loop_report.c: one report per crash loop, when it has been quiet for
 * LoopIntervalSec= (docs/crash-loops.md). */
int cw_loop_report_start(struct cw_daemon *d);
int cw_loop_report_run(struct cw_daemon *d);

/* main.c: STATUS= for systemd */
void cw_daemon_update_status(struct cw_daemon *d);

#endif
