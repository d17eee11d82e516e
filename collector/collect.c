/* One crash in, one spool entry out: metadata first (while the process is
 * held), then the core streamed from its fd through zstd into an anonymous
 * file in the spool, the fd closed as soon as it is drained (which releases
 * the crashing process), then the kept executable and the record, last. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "collector/collect.h"
#include "collector/corenotes.h"
#include "collector/forward.h"
#include "collector/limits.h"
#include "collector/owncrash.h"
#include "collector/procinfo.h"
#include "collector/reader.h"
#include "collector/readfile.h"
#include "collector/record.h"
#include "collector/spool.h"
#include "common/cleanup.h"
#include "common/io.h"
#include "common/spool_id.h"
#include "common/zstd_seekable.h"

#define CHUNK CW_ZSTD_SEEKABLE_FRAME_SIZE
#define READ_CHUNK (4 * CHUNK)            /* read-ahead unit: 4 frames per hand-off */
#define READ_AHEAD 4                      /* read-ahead units (16 MiB) */
#define LIMIT_CHECK_EVERY (8ULL << 20)    /* re-check KeepFree per 8 MiB written */


struct stream {
	const struct cw_config *cfg;
	const struct cw_store_limits *limits;
	int storage_fd;
	int spool_fd;
	struct cw_spool_file file;   /* fd -1 once the core is dropped */
	struct cw_zsw *zsw;
	uint64_t next_check;
	struct cw_forward *forward;  /* ForwardTo= handler, or NULL */
	unsigned char *prefix;       /* the core's first bytes, for the notes */
	size_t prefix_len;
	struct cw_collect_result *res;
};

static uint64_t now_usec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

static void drop_core(struct stream *s, const char *reason)
{
	cw_spool_file_abort(s->spool_fd, &s->file);
	cw_zsw_free(s->zsw);
	s->zsw = NULL;
	s->res->core_stored = false;
	s->res->truncated = false;
	if (!s->res->reason)
		s->res->reason = reason;
}

static const char *write_error_reason(int r)
{
	return r == -ENOSPC || r == -EDQUOT ? "disk-full" : "io-error";
}

/* When to look at the limits again: every LIMIT_CHECK_EVERY bytes for
 * KeepFree, and exactly when MaxUse would be crossed. */
static uint64_t next_limit_check(const struct cw_store_limits *l, uint64_t out)
{
	uint64_t next = out + LIMIT_CHECK_EVERY;
	if (l->max_use >= l->used && l->max_use - l->used < next - 1)
		next = l->max_use - l->used + 1;
	return next;
}

static void store_chunk(struct stream *s, const unsigned char *buf, size_t n)
{
	struct cw_collect_result *res = s->res;
	int r;

	if (!s->zsw || res->truncated)
		return;
	/* Past ProcessSizeMax or ExternalSizeMax: keep what fits, stop storing,
	 * keep draining, mark the core truncated. */
	bool by_process = s->cfg->process_size_max < s->cfg->external_size_max;
	uint64_t cap = by_process ? s->cfg->process_size_max : s->cfg->external_size_max;
	uint64_t room = cap - res->stored_size;
	if (n > room) {
		n = (size_t)room;
		res->truncated = true;
		res->reason = by_process ? "process-size-max" : "external-size-max";
	}
	if (n && (r = cw_zsw_write(s->zsw, buf, n)) < 0) {
		drop_core(s, write_error_reason(r));
		return;
	}
	res->stored_size += n;
	uint64_t out = cw_zsw_bytes_out(s->zsw);
	if (out >= s->next_check) {
		r = cw_store_limits_check(s->limits, s->storage_fd, out);
		if (r < 0)
			drop_core(s, r == -EDQUOT ? "max-use" : "keep-free");
		else
			s->next_check = next_limit_check(s->limits, out);
	}
}

/* Reads core_fd to EOF (always: the kernel holds the process until then),
 * storing what the limits allow, then closes it. */
static int stream_core(struct stream *s, int core_fd)
{
	struct cw_reader *reader = NULL;
	const unsigned char *buf;
	size_t n;
	int r;

	/* A bigger pipe: fewer wake-ups for the kernel's writer and for us. */
	(void)fcntl(core_fd, F_SETPIPE_SZ, (int)CHUNK);
	r = cw_reader_new(core_fd, READ_CHUNK, READ_AHEAD, &reader);
	if (r < 0) {
		/* No memory: still drain, store nothing. */
		unsigned char small[4096];
		drop_core(s, "io-error");
		for (;;) {
			ssize_t k = read(core_fd, small, sizeof(small));
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				break;
			s->res->size += (uint64_t)k;
		}
		reader = NULL;
		r = 0;
	}
	while (reader && (r = cw_reader_next(reader, &buf, &n)) > 0) {
		s->res->size += (uint64_t)n;
		if (s->forward)
			cw_forward_write(s->forward, buf, n);
		if (s->prefix && s->prefix_len < CW_CORENOTES_PREFIX_MAX) {
			size_t take = CW_CORENOTES_PREFIX_MAX - s->prefix_len;
			if (take > n)
				take = n;
			memcpy(s->prefix + s->prefix_len, buf, take);
			s->prefix_len += take;
		}
		store_chunk(s, buf, n);
	}
	if (r < 0) /* -EAGAIN: the core socket's timeout (CoreSocketTimeoutSec=) ran out */
		drop_core(s, r == -EAGAIN ? "timeout" : "io-error");
	cw_reader_free(reader);
	close(core_fd);
	if (s->forward)
		cw_forward_end(s->forward);
	if (s->zsw && s->res->size == 0)
		drop_core(s, "empty");
	if (s->zsw) { /* the last stretch since the last check */
		int lim = cw_store_limits_check(s->limits, s->storage_fd, cw_zsw_bytes_out(s->zsw));
		if (lim < 0)
			drop_core(s, lim == -EDQUOT ? "max-use" : "keep-free");
	}
	if (s->zsw) {
		int f = cw_zsw_finish(s->zsw);
		if (f < 0)
			drop_core(s, write_error_reason(f));
		else
			s->res->compressed_size = cw_zsw_bytes_out(s->zsw);
	}
	return r;
}

static void drain_and_close(int core_fd, struct cw_collect_result *res)
{
	unsigned char buf[65536];

	for (;;) {
		ssize_t n = read(core_fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		res->size += (uint64_t)n;
	}
	close(core_fd);
}

/* Copies size bytes of in to out: copy_file_range() where the kernel can
 * (same file system type), read/write where it cannot (EXDEV: a
 * container's executable on overlayfs or a tmpfs). */
static int copy_fd(int in, int out, off_t size)
{
	off_t off = 0;
	bool plain = false;
	char buf[65536];

	for (unsigned guard = 0; off < size && guard < 1U << 20; guard++) {
		ssize_t n;
		if (!plain) {
			n = copy_file_range(in, &off, out, NULL, (size_t)(size - off), 0);
			if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
				plain = true;
				continue;
			}
		} else {
			size_t want = (size_t)(size - off) < sizeof(buf) ? (size_t)(size - off) : sizeof(buf);
			n = pread(in, buf, want, off);
			if (n > 0) {
				int w = cw_write_all(out, buf, (size_t)n);
				if (w < 0)
					return w;
				off += n;
			}
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
	}
	return off < size ? -EIO : 0;
}

/* Copies the ELF file fd into STORAGE/executables/BUILDID once (the
 * executable, or a container's library: both are found by build id).
 * *rel is "executables/BUILDID" when the copy is there. */
static int keep_by_build_id(const struct cw_config *cfg, int storage_fd, const struct cw_store_limits *limits,
			    int fd, const char *build_id, char **rel)
{
	_cleanup_close_ int dir_fd = -1;
	struct cw_spool_file f = { .fd = -1 };
	struct stat st;
	int r;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return -EBADF;
	dir_fd = cw_spool_open_dir(storage_fd, "executables", 0711);
	if (dir_fd < 0)
		return dir_fd;
	if (asprintf(rel, "executables/%s", build_id) < 0) {
		*rel = NULL;
		return -ENOMEM;
	}
	if (faccessat(dir_fd, build_id, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	if ((uint64_t)st.st_size > cfg->external_size_max ||
	    (r = cw_store_limits_check(limits, storage_fd, (uint64_t)st.st_size)) < 0) {
		free(*rel), *rel = NULL;
		return -EFBIG;
	}
	r = cw_spool_file_begin(dir_fd, &f);
	if (r < 0)
		goto fail;
	r = copy_fd(fd, f.fd, st.st_size);
	if (r < 0)
		goto fail;
	r = cw_spool_file_commit(dir_fd, &f, build_id, st.st_mode & S_IROTH ? 0444 : 0400, -1, NULL);
	if (r == -EEXIST)
		r = 0; /* another crash kept it first */
	if (r < 0)
		goto fail;
	return 0;
fail:
	cw_spool_file_abort(dir_fd, &f);
	free(*rel), *rel = NULL;
	return r;
}

static int keep_executable(const struct cw_config *cfg, int storage_fd, const struct cw_store_limits *limits,
			   const struct cw_procinfo *p, char **rel)
{
	if (!cfg->keep_executable || p->exe_fd < 0 || !p->build_id)
		return 0;
	return keep_by_build_id(cfg, storage_fd, limits, p->exe_fd, p->build_id, rel);
}

/* A container's libraries (opened while the process was held, bounded in
 * number and size by libraries.c), kept like the executable: the analysis
 * of this crash gets them by build id (lib->copy, in the record). */
static void keep_libraries(const struct cw_config *cfg, int storage_fd, const struct cw_store_limits *limits,
			   struct cw_proc_libs *libs)
{
	if (!cfg->keep_executable)
		return;
	for (size_t i = 0; i < libs->n; i++) {
		struct cw_proc_lib *lib = &libs->v[i];
		if (keep_by_build_id(cfg, storage_fd, limits, lib->fd, lib->build_id, &lib->copy) < 0)
			lib->copy = NULL;
	}
}

static int write_record(int spool_fd, const struct cw_record *rec, int64_t reader)
{
	_cleanup_free_ char *json = NULL;
	struct cw_spool_file f = { .fd = -1 };
	char name[96];
	int r;

	r = cw_record_to_json(rec, &json);
	if (r < 0)
		return r;
	r = cw_spool_file_begin(spool_fd, &f);
	if (r < 0)
		return r;
	size_t len = strlen(json), off = 0;
	while (off < len) {
		ssize_t n = write(f.fd, json + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			cw_spool_file_abort(spool_fd, &f);
			return r;
		}
		off += (size_t)n;
	}
	snprintf(name, sizeof(name), "%s.meta", rec->id);
	return cw_spool_file_commit(spool_fd, &f, name, 0400, reader, NULL);
}

/* Whether the core is stored at all (rate limit, store limits) and, if so,
 * the anonymous file and the compressor it goes through. */
/* exe: the crashing executable (the daemon's crash-loop markers are by
 * executable and user); rate_key: what the rate limit counts by. */
static void start_core(struct stream *s, const char *exe, const char *rate_key, int64_t uid, const char *build_id,
		       int64_t now)
{
	struct cw_collect_result *res = s->res;
	int r;

	if (s->cfg->loop_burst > 0 && cw_loop_marker_hit(s->storage_fd, exe, uid, build_id, now) > 0) {
		res->reason = "crash-loop";
	} else if (cw_rate_limit_hit(s->cfg, s->storage_fd, rate_key, now) == -EBUSY) {
		res->reason = "rate-limited";
	} else if ((r = cw_store_limits_check(s->limits, s->storage_fd, 0)) < 0) {
		res->reason = r == -EDQUOT ? "max-use" : "keep-free";
	} else if ((r = cw_spool_file_begin(s->spool_fd, &s->file)) < 0) {
		res->reason = write_error_reason(r);
	} else if (cw_zsw_new(s->file.fd, s->cfg->compression_level, CHUNK, &s->zsw) < 0) {
		cw_spool_file_abort(s->spool_fd, &s->file);
		res->reason = "io-error";
	} else {
		res->core_stored = true;
	}
}

/* Root only: setuid / non-dumpable processes (%d != 1, /proc files handed
 * to root, real and effective ids differing); and, to be safe, a crash
 * whose dump mode the kernel did not tell and /proc could not show. */
static bool is_restricted(const struct cw_crash_info *c, const struct cw_procinfo *p)
{
	if (c->dump_mode >= 0 && c->dump_mode != 1)
		return true;
	if (!p->from_proc)
		return c->dump_mode < 0;
	return p->uid != p->euid || p->gid != p->egid || p->nondumpable;
}

/* core_fd < 0: no core comes (no_core says why, the record's dropped_reason). */
static int collect_one(const struct cw_config *cfg, const struct cw_crash_info *c, enum cw_collect_entry entry,
		       int core_fd, const char *no_core, struct cw_collect_result *res)
{
	_cleanup_close_ int storage_fd = -1, spool_fd = -1;
	_cleanup_free_ unsigned char *prefix = NULL;
	_cleanup_free_ char *boot_id = NULL, *exe_copy = NULL;
	struct cw_procinfo p;
	struct cw_store_limits limits = { 0 };
	struct stream s = { 0 };
	char core_name[96];
	size_t len;
	int r;

	memset(res, 0, sizeof(*res));
	if (cw_is_recursion(c)) {
		if (core_fd >= 0)
			drain_and_close(core_fd, res);
		res->dropped = true;
		res->reason = "recursion";
		return 0;
	}
	uint64_t started = now_usec();
	cw_procinfo_init(&p);
	(void)cw_procinfo_read(c, &p); /* on failure p.note says why; the core's notes fill in */
	/* Our own crash, proven by the executable's identity and root's
	 * credentials, never by a name (owncrash.h). */
	if (cw_is_own_crash(&p)) {
		if (core_fd >= 0)
			drain_and_close(core_fd, res);
		cw_procinfo_free(&p);
		res->dropped = true;
		res->reason = "own-crash";
		return 0;
	}
	res->named_like_collector = cw_named_like_collector(c, &p);

	storage_fd = cw_spool_open_dir(AT_FDCWD, cfg->storage_dir, 0755);
	if (storage_fd >= 0)
		spool_fd = cw_spool_open_dir(storage_fd, "spool", 0711);
	if (storage_fd < 0 || spool_fd < 0) {
		r = storage_fd < 0 ? storage_fd : spool_fd;
		if (core_fd >= 0)
			drain_and_close(core_fd, res);
		cw_procinfo_free(&p);
		return r;
	}
	r = cw_spool_new_id(started, c->pid > 0 ? c->pid : 0, res->id, sizeof(res->id));
	if (r >= 0)
		r = cw_store_limits_init(cfg, storage_fd, &limits);
	if (r < 0) {
		if (core_fd >= 0)
			drain_and_close(core_fd, res);
		cw_procinfo_free(&p);
		return r;
	}

	s.cfg = cfg;
	s.limits = &limits;
	s.storage_fd = storage_fd;
	s.spool_fd = spool_fd;
	s.file.fd = -1;
	s.res = res;
	s.next_check = next_limit_check(&limits, 0);
	/* The core's notes fill in what /proc could not tell, and the signal
	 * when the kernel did not pass one (socket mode). */
	if (!p.from_proc || c->signal < 0)
		s.prefix = prefix = malloc(CW_CORENOTES_PREFIX_MAX);

	struct cw_forward forward = { .pid = -1, .fd = -1 };
	if (core_fd < 0) {
		res->reason = no_core;
		r = 0;
	} else {
		if (cfg->forward_to && *cfg->forward_to &&
		    cw_forward_start(cfg->forward_to, c, p.exe, &forward) == 0) {
			s.forward = &forward;
			res->forwarded = true;
		}
		/* The rate limit counts per crashing user and executable: one
		 * user's crashes of a program never use up another user's
		 * budget for it. */
		char rate_key[4200];
		snprintf(rate_key, sizeof(rate_key), "%lld:%s", (long long)(c->uid >= 0 ? c->uid : p.uid),
			 p.exe ? p.exe : c->comm);
		start_core(&s, p.exe ? p.exe : c->comm, rate_key, c->uid >= 0 ? c->uid : p.uid, p.build_id,
			   started / 1000000);
		r = stream_core(&s, core_fd);
	}
	if (prefix && s.prefix_len)
		(void)cw_core_notes_parse(prefix, s.prefix_len, &p);

	bool restricted = is_restricted(c, &p);
	int64_t crash_uid = c->uid >= 0 ? c->uid : p.uid;
	int64_t reader = restricted ? -1 : crash_uid; /* who may read the files besides root */
	bool user_readable = false;

	snprintf(core_name, sizeof(core_name), "%s.core.zst", res->id);
	if (s.zsw) {
		cw_zsw_free(s.zsw);
		s.zsw = NULL;
		r = cw_spool_file_commit(spool_fd, &s.file, core_name, 0400, reader, &user_readable);
		if (r < 0) {
			res->core_stored = false;
			res->truncated = false;
			res->reason = write_error_reason(r);
		}
	}
	if (!restricted) {
		(void)keep_executable(cfg, storage_fd, &limits, &p, &exe_copy);
		keep_libraries(cfg, storage_fd, &limits, &p.libs);
	}
	if (cw_read_file_at(AT_FDCWD, "/proc/sys/kernel/random/boot_id", 64, &boot_id, &len) >= 0)
		boot_id[strcspn(boot_id, "\n")] = 0;

	struct cw_record rec = {
		.id = res->id,
		.entry = entry,
		.time_usec = started,
		.crash = c,
		.proc = &p,
		.result = res,
		.restricted = restricted,
		.boot_id = boot_id,
		.executable_copy = exe_copy,
		.core_file = res->core_stored ? core_name : NULL,
		.forwarded_to = res->forwarded ? cfg->forward_to : NULL,
		.user_readable = user_readable,
	};
	r = write_record(spool_fd, &rec, reader);
	if (r < 0 && res->core_stored) {
		/* No record, no crash: never leave a core without its record. */
		(void)unlinkat(spool_fd, core_name, 0);
		res->core_stored = false;
	}
	res->record_written = r >= 0;
	cw_procinfo_free(&p);
	return r < 0 ? r : 0;
}

int cw_collect(const struct cw_config *cfg, const struct cw_crash_info *c, enum cw_collect_entry entry,
	       int core_fd, struct cw_collect_result *res)
{
	return collect_one(cfg, c, entry, core_fd, NULL, res);
}

int cw_collect_without_core(const struct cw_config *cfg, const struct cw_crash_info *c,
			    enum cw_collect_entry entry, const char *reason, struct cw_collect_result *res)
{
	return collect_one(cfg, c, entry, -1, reason ? reason : "unknown", res);
}
