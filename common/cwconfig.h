/* crashwatch.conf: one struct holding every setting, loaded once per
 * program (and again on SIGHUP by the daemon). */
#ifndef CW_COMMON_CWCONFIG_H
#define CW_COMMON_CWCONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CW_CONFIG_DEFAULT_PATH CW_SYSCONFDIR "/crashwatch/crashwatch.conf"
#define CW_CONFIG_ENV "CRASHWATCH_CONFIG"
#define CW_MAX_UPLOADS 16

enum cw_upload_format { CW_UPLOAD_JSON, CW_UPLOAD_SLACK, CW_UPLOAD_DISCORD, CW_UPLOAD_SENTRY };
enum cw_upload_events { CW_EVENTS_ALL, CW_EVENTS_NEW_FINGERPRINT };

struct cw_upload_config {
	char *name;             /* section name: "Upload" or "Upload NAME" */
	char *url;
	char *url_file;         /* URLFile=: the URL read from a file (Slack/Discord URLs are secrets) */
	enum cw_upload_format format;
	char *dsn;              /* Sentry DSN (Format=sentry) */
	char *secret_file;      /* Standard Webhooks secret (whsec_...) */
	char *token_file;       /* bearer token */
	char *ca_file;
	char *client_cert;
	char *client_key;
	uint64_t timeout_sec;
	uint64_t retry_initial_sec;
	uint64_t retry_max_sec;
	uint64_t max_attempts;
	enum cw_upload_events events;
	bool include_cmdline;
	bool include_environment;
};

struct cw_config {
	char *source;           /* main file that was read, or NULL for defaults */

	/* [Storage] */
	char *storage_dir;      /* Directory= root of spool/, cores/, crashwatch.db */
	uint64_t max_age_sec;   /* MaxAge= retention by age, 0 = keep */

	/* [Collect] */
	uint64_t process_size_max;   /* ProcessSizeMax= */
	uint64_t external_size_max;  /* ExternalSizeMax= */
	uint64_t max_use;            /* MaxUse=, UINT64_MAX = automatic (10% of fs, <= 4G) */
	uint64_t keep_free;          /* KeepFree=, UINT64_MAX = automatic (15% of fs, <= 4G) */
	uint64_t rate_limit_interval_sec; /* RateLimitIntervalSec= */
	uint64_t rate_limit_burst;        /* RateLimitBurst= per executable */
	uint64_t loop_interval_sec;  /* LoopIntervalSec= crashes of a fingerprint this close form a run */
	uint64_t loop_burst;         /* LoopBurst= cores kept per run (0: no per-fingerprint limit) */
	int compression_level;       /* CompressionLevel= zstd level */
	bool keep_executable;        /* KeepExecutable= copy exe keyed by build id */
	char *forward_to;            /* ForwardTo= previous core handler command line */

	/* [Analyze] */
	uint64_t analyze_timeout_sec; /* TimeoutSec= */
	uint64_t analyze_memory_max;  /* MemoryMax= */
	char *analyze_user;           /* User= the unprivileged analysis user */

	/* [Daemon] */
	char *socket_path;            /* Socket= CLI query socket */
	char *core_socket_path;       /* CoreSocket= kernel @socket core_pattern target */
	bool core_socket_verify;      /* CoreSocketVerify= @@ requests only from processes dumping core */
	uint64_t core_socket_timeout_sec; /* CoreSocketTimeoutSec= a connection silent this long is closed (0: never) */
	uint64_t watchdog_sec;        /* unused when not under systemd */

	/* [Upload] / [Upload NAME] sections */
	struct cw_upload_config uploads[CW_MAX_UPLOADS];
	unsigned n_uploads;
};

/* Fill *cfg with defaults. */
void cw_config_defaults(struct cw_config *cfg);

/* Resolve which file to read: explicit path, else $CRASHWATCH_CONFIG, else
 * the default path. */
const char *cw_config_path(const char *explicit_path);

/* Load defaults, then PATH (a missing default file is fine; a missing
 * explicit file is -ENOENT), then PATH.d/ *.conf in lexical order.
 * On a bad value returns -EINVAL and writes "FILE:LINE: [Section] Key=: why"
 * into err (size errlen). */
int cw_config_load(const char *path, bool must_exist, struct cw_config *cfg, char *err, size_t errlen);

void cw_config_free(struct cw_config *cfg);

/* Derived paths under storage_dir; return malloc'd strings or NULL. */
char *cw_config_spool_dir(const struct cw_config *cfg);
char *cw_config_cores_dir(const struct cw_config *cfg);
char *cw_config_db_path(const struct cw_config *cfg);

const char *cw_upload_format_name(enum cw_upload_format f);

#endif
