#include "config.h"
#include "common/cwconfig.h"

#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/cleanup.h"
#include "common/parse.h"

#ifndef CW_RUNSTATEDIR
#define CW_RUNSTATEDIR "/run"
#endif

void cw_config_defaults(struct cw_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->storage_dir = strdup(CW_LOCALSTATEDIR "/lib/crashwatch");
	cfg->max_age_sec = 0;
	cfg->process_size_max = 32ULL << 30;
	cfg->external_size_max = 32ULL << 30;
	cfg->max_use = UINT64_MAX;
	cfg->keep_free = UINT64_MAX;
	cfg->rate_limit_interval_sec = 60;
	cfg->rate_limit_burst = 10;
	cfg->loop_interval_sec = 600;
	cfg->loop_burst = 1;
	cfg->core_socket_verify = true;
	cfg->core_socket_timeout_sec = 60;
	cfg->compression_level = 1;
	cfg->keep_executable = true;
	cfg->analyze_timeout_sec = 120;
	cfg->analyze_memory_max = 2ULL << 30;
	cfg->analyze_user = strdup("crashwatch");
	cfg->socket_path = strdup(CW_RUNSTATEDIR "/crashwatch/crashwatch.sock");
	cfg->core_socket_path = strdup(CW_RUNSTATEDIR "/crashwatch/core.sock");
}

static void upload_free(struct cw_upload_config *u)
{
	free(u->name);
	free(u->url);
	free(u->url_file);
	free(u->dsn);
	free(u->secret_file);
	free(u->token_file);
	free(u->ca_file);
	free(u->client_cert);
	free(u->client_key);
	memset(u, 0, sizeof(*u));
}

void cw_config_free(struct cw_config *cfg)
{
	free(cfg->source);
	free(cfg->storage_dir);
	free(cfg->forward_to);
	free(cfg->analyze_user);
	free(cfg->socket_path);
	free(cfg->core_socket_path);
	for (unsigned i = 0; i < cfg->n_uploads; i++)
		upload_free(&cfg->uploads[i]);
	memset(cfg, 0, sizeof(*cfg));
}

const char *cw_config_path(const char *explicit_path)
{
	if (explicit_path && *explicit_path)
		return explicit_path;
	const char *env = getenv(CW_CONFIG_ENV);
	if (env && *env)
		return env;
	return CW_CONFIG_DEFAULT_PATH;
}

const char *cw_upload_format_name(enum cw_upload_format f)
{
	switch (f) {
	case CW_UPLOAD_JSON: return "json";
	case CW_UPLOAD_SLACK: return "slack";
	case CW_UPLOAD_DISCORD: return "discord";
	case CW_UPLOAD_SENTRY: return "sentry";
	}
	return "?";
}

enum value_kind { V_STRING, V_PATH, V_SIZE, V_SIZE_AUTO, V_TIMESPAN, V_BOOL, V_UINT, V_LEVEL };

struct key_def {
	const char *section;
	const char *key;
	enum value_kind kind;
	size_t offset;
};

#define CFG(field) offsetof(struct cw_config, field)
static const struct key_def main_keys[] = {
	{ "Storage", "Directory", V_PATH, CFG(storage_dir) },
	{ "Storage", "MaxAge", V_TIMESPAN, CFG(max_age_sec) },
	{ "Collect", "ProcessSizeMax", V_SIZE, CFG(process_size_max) },
	{ "Collect", "ExternalSizeMax", V_SIZE, CFG(external_size_max) },
	{ "Collect", "MaxUse", V_SIZE_AUTO, CFG(max_use) },
	{ "Collect", "KeepFree", V_SIZE_AUTO, CFG(keep_free) },
	{ "Collect", "RateLimitIntervalSec", V_TIMESPAN, CFG(rate_limit_interval_sec) },
	{ "Collect", "RateLimitBurst", V_UINT, CFG(rate_limit_burst) },
	{ "Collect", "LoopIntervalSec", V_TIMESPAN, CFG(loop_interval_sec) },
	{ "Collect", "LoopBurst", V_UINT, CFG(loop_burst) },
	{ "Collect", "CompressionLevel", V_LEVEL, CFG(compression_level) },
	{ "Collect", "KeepExecutable", V_BOOL, CFG(keep_executable) },
	{ "Collect", "ForwardTo", V_STRING, CFG(forward_to) },
	{ "Analyze", "TimeoutSec", V_TIMESPAN, CFG(analyze_timeout_sec) },
	{ "Analyze", "MemoryMax", V_SIZE, CFG(analyze_memory_max) },
	{ "Analyze", "User", V_STRING, CFG(analyze_user) },
	{ "Daemon", "Socket", V_PATH, CFG(socket_path) },
	{ "Daemon", "CoreSocket", V_PATH, CFG(core_socket_path) },
	{ "Daemon", "CoreSocketVerify", V_BOOL, CFG(core_socket_verify) },
	{ "Daemon", "CoreSocketTimeoutSec", V_TIMESPAN, CFG(core_socket_timeout_sec) },
};

#define UPL(field) offsetof(struct cw_upload_config, field)
static const struct key_def upload_keys[] = {
	{ "Upload", "URL", V_STRING, UPL(url) },
	{ "Upload", "URLFile", V_PATH, UPL(url_file) },
	{ "Upload", "DSN", V_STRING, UPL(dsn) },
	{ "Upload", "SecretFile", V_PATH, UPL(secret_file) },
	{ "Upload", "TokenFile", V_PATH, UPL(token_file) },
	{ "Upload", "CAFile", V_PATH, UPL(ca_file) },
	{ "Upload", "ClientCertificate", V_PATH, UPL(client_cert) },
	{ "Upload", "ClientKey", V_PATH, UPL(client_key) },
	{ "Upload", "TimeoutSec", V_TIMESPAN, UPL(timeout_sec) },
	{ "Upload", "RetryInitialSec", V_TIMESPAN, UPL(retry_initial_sec) },
	{ "Upload", "RetryMaxSec", V_TIMESPAN, UPL(retry_max_sec) },
	{ "Upload", "MaxAttempts", V_UINT, UPL(max_attempts) },
	{ "Upload", "IncludeCmdline", V_BOOL, UPL(include_cmdline) },
	{ "Upload", "IncludeEnvironment", V_BOOL, UPL(include_environment) },
};

struct load_ctx {
	struct cw_config *cfg;
	const char *file;
	char *err;
	size_t errlen;
	char why[256];
	char failed_section[64];
	char failed_key[64];
	/* index of the upload section being filled, or -1 */
	int cur_upload;
	char cur_section[128];
};

static int set_value(const struct key_def *d, void *base, const char *value, char *why, size_t whylen)
{
	void *field = (char *)base + d->offset;
	int r;
	switch (d->kind) {
	case V_STRING:
	case V_PATH: {
		if (d->kind == V_PATH && value[0] != '/' && value[0] != '\0') {
			snprintf(why, whylen, "expected an absolute path, got \"%s\"", value);
			return -EINVAL;
		}
		char *copy = strdup(value);
		if (!copy)
			return -ENOMEM;
		free(*(char **)field);
		*(char **)field = copy[0] ? copy : (free(copy), NULL);
		return 0;
	}
	case V_SIZE:
	case V_SIZE_AUTO:
		if (d->kind == V_SIZE_AUTO && (value[0] == '\0' || strcasecmp(value, "auto") == 0)) {
			*(uint64_t *)field = UINT64_MAX;
			return 0;
		}
		r = cw_parse_size(value, (uint64_t *)field);
		if (r < 0)
			snprintf(why, whylen, "expected a size such as 512M or 4G, got \"%s\"", value);
		return r;
	case V_TIMESPAN:
		r = cw_parse_timespan(value, (uint64_t *)field);
		if (r < 0)
			snprintf(why, whylen, "expected a time span such as 30s, 5min or 7d, got \"%s\"", value);
		return r;
	case V_BOOL:
		r = cw_parse_bool(value, (bool *)field);
		if (r < 0)
			snprintf(why, whylen, "expected yes or no, got \"%s\"", value);
		return r;
	case V_UINT:
		r = cw_parse_u64(value, 0, UINT32_MAX, (uint64_t *)field);
		if (r < 0)
			snprintf(why, whylen, "expected a whole number, got \"%s\"", value);
		return r;
	case V_LEVEL:
		r = cw_parse_int(value, -7, 19, (int *)field);
		if (r < 0)
			snprintf(why, whylen, "expected a zstd level from -7 to 19, got \"%s\"", value);
		return r;
	}
	return -EINVAL;
}

static int upload_special(struct cw_upload_config *u, const char *key, const char *value,
			  char *why, size_t whylen)
{
	if (strcmp(key, "Format") == 0) {
		static const struct { const char *n; enum cw_upload_format f; } fm[] = {
			{ "json", CW_UPLOAD_JSON }, { "slack", CW_UPLOAD_SLACK },
			{ "discord", CW_UPLOAD_DISCORD }, { "sentry", CW_UPLOAD_SENTRY },
		};
		for (size_t i = 0; i < CW_ARRAY_SIZE(fm); i++)
			if (strcasecmp(value, fm[i].n) == 0) {
				u->format = fm[i].f;
				return 0;
			}
		snprintf(why, whylen, "expected json, slack, discord or sentry, got \"%s\"", value);
		return -EINVAL;
	}
	if (strcmp(key, "Events") == 0) {
		if (strcasecmp(value, "all") == 0)
			u->events = CW_EVENTS_ALL;
		else if (strcasecmp(value, "new-fingerprint") == 0)
			u->events = CW_EVENTS_NEW_FINGERPRINT;
		else {
			snprintf(why, whylen, "expected all or new-fingerprint, got \"%s\"", value);
			return -EINVAL;
		}
		return 0;
	}
	return 1; /* not special */
}

static void upload_defaults(struct cw_upload_config *u)
{
	u->format = CW_UPLOAD_JSON;
	u->timeout_sec = 10;
	u->retry_initial_sec = 5;
	u->retry_max_sec = 3600;
	u->max_attempts = 12;
	u->events = CW_EVENTS_ALL;
}

static int config_ini_handler(void *user, const char *section, const char *name, const char *value)
{
	struct load_ctx *ctx = user;
	struct cw_config *cfg = ctx->cfg;

	if (ctx->why[0])
		return 1; /* keep only the first error */
	snprintf(ctx->failed_section, sizeof(ctx->failed_section), "%s", section);
	snprintf(ctx->failed_key, sizeof(ctx->failed_key), "%s", name ? name : "");

	bool is_upload = strncmp(section, "Upload", 6) == 0 && (section[6] == '\0' || section[6] == ' ');
	if (is_upload) {
		if (ctx->cur_upload < 0 || strcmp(ctx->cur_section, section) != 0) {
			/* a new [Upload ...] section (or a repeat of one seen earlier) */
			int found = -1;
			for (unsigned i = 0; i < cfg->n_uploads; i++)
				if (strcmp(cfg->uploads[i].name, section) == 0)
					found = (int)i;
			if (found < 0) {
				if (cfg->n_uploads >= CW_MAX_UPLOADS) {
					snprintf(ctx->why, sizeof(ctx->why), "more than %d [Upload] sections", CW_MAX_UPLOADS);
					return 0;
				}
				found = (int)cfg->n_uploads++;
				upload_defaults(&cfg->uploads[found]);
				cfg->uploads[found].name = strdup(section);
				if (!cfg->uploads[found].name)
					return 0;
			}
			ctx->cur_upload = found;
			snprintf(ctx->cur_section, sizeof(ctx->cur_section), "%s", section);
		}
		if (!name)
			return 1;
		struct cw_upload_config *u = &cfg->uploads[ctx->cur_upload];
		int r = upload_special(u, name, value, ctx->why, sizeof(ctx->why));
		if (r <= 0)
			return r == 0;
		for (size_t i = 0; i < CW_ARRAY_SIZE(upload_keys); i++)
			if (strcmp(upload_keys[i].key, name) == 0)
				return set_value(&upload_keys[i], u, value, ctx->why, sizeof(ctx->why)) == 0;
		snprintf(ctx->why, sizeof(ctx->why), "unknown key");
		return 0;
	}
	ctx->cur_upload = -1;
	if (!name)
		return 1;
	for (size_t i = 0; i < CW_ARRAY_SIZE(main_keys); i++) {
		if (strcmp(main_keys[i].section, section) == 0 && strcmp(main_keys[i].key, name) == 0)
			return set_value(&main_keys[i], cfg, value, ctx->why, sizeof(ctx->why)) == 0;
	}
	bool known_section = false;
	for (size_t i = 0; i < CW_ARRAY_SIZE(main_keys); i++)
		if (strcmp(main_keys[i].section, section) == 0)
			known_section = true;
	snprintf(ctx->why, sizeof(ctx->why), known_section ? "unknown key" : "unknown section");
	return 0;
}

static int load_one(const char *file, struct load_ctx *ctx)
{
	_cleanup_fclose_ FILE *f = fopen(file, "re");
	if (!f)
		return -errno;
	ctx->file = file;
	ctx->cur_upload = -1;
	ctx->cur_section[0] = '\0';
	int line = ini_parse_file(f, config_ini_handler, ctx);
	if (line != 0 || ctx->why[0]) {
		if (!ctx->why[0])
			snprintf(ctx->why, sizeof(ctx->why), "syntax error");
		if (ctx->failed_key[0])
			snprintf(ctx->err, ctx->errlen, "%s:%d: [%s] %s=: %s", file, line,
				 ctx->failed_section, ctx->failed_key, ctx->why);
		else
			snprintf(ctx->err, ctx->errlen, "%s:%d: %s", file, line, ctx->why);
		return -EINVAL;
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_dropins(const char *path, struct load_ctx *ctx)
{
	_cleanup_free_ char *dir = NULL;
	if (asprintf(&dir, "%s.d", path) < 0)
		return -ENOMEM;
	_cleanup_closedir_ DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	char *names[256];
	size_t n = 0;
	struct dirent *de;
	int r = 0;
	while ((de = readdir(d)) && n < CW_ARRAY_SIZE(names)) {
		size_t len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".conf") != 0)
			continue;
		names[n] = strdup(de->d_name);
		if (!names[n]) {
			r = -ENOMEM;
			break;
		}
		n++;
	}
	qsort(names, n, sizeof(names[0]), cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (r == 0) {
			_cleanup_free_ char *full = NULL;
			if (asprintf(&full, "%s/%s", dir, names[i]) < 0)
				r = -ENOMEM;
			else
				r = load_one(full, ctx);
		}
		free(names[i]);
	}
	return r;
}

int cw_config_load(const char *path, bool must_exist, struct cw_config *cfg, char *err, size_t errlen)
{
	struct load_ctx ctx = { .cfg = cfg, .err = err, .errlen = errlen, .cur_upload = -1 };
	cw_config_defaults(cfg);
	if (err && errlen)
		err[0] = '\0';
	if (!cfg->storage_dir || !cfg->analyze_user || !cfg->socket_path || !cfg->core_socket_path)
		return -ENOMEM;
	int r = load_one(path, &ctx);
	if (r == -ENOENT && !must_exist)
		r = 0;
	else if (r == 0)
		cfg->source = strdup(path);
	else if (r != -EINVAL)
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
	if (r < 0)
		return r;
	r = load_dropins(path, &ctx);
	if (r < 0 && r != -EINVAL)
		snprintf(err, errlen, "%s.d: %s", path, strerror(-r));
	if (r < 0)
		return r;
	if (!cfg->storage_dir) {
		snprintf(err, errlen, "%s: [Storage] Directory= must not be empty", path);
		return -EINVAL;
	}
	for (unsigned i = 0; i < cfg->n_uploads; i++) {
		struct cw_upload_config *u = &cfg->uploads[i];
		if (u->format == CW_UPLOAD_SENTRY ? !u->dsn : !u->url && !u->url_file) {
			snprintf(err, errlen, "%s: [%s] needs %s=", path, u->name,
				 u->format == CW_UPLOAD_SENTRY ? "DSN" : "URL= or URLFile");
			return -EINVAL;
		}
	}
	return 0;
}

static char *join(const char *a, const char *b)
{
	char *s = NULL;
	return asprintf(&s, "%s/%s", a, b) < 0 ? NULL : s;
}

char *cw_config_spool_dir(const struct cw_config *cfg) { return join(cfg->storage_dir, "spool"); }
char *cw_config_cores_dir(const struct cw_config *cfg) { return join(cfg->storage_dir, "cores"); }
char *cw_config_db_path(const struct cw_config *cfg) { return join(cfg->storage_dir, "crashwatch.db"); }
