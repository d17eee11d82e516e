/* Metadata of the crashing process, read at crash time through /proc,
 * trusted only after checking the pidfd; or, when that is impossible,
 * taken from the core's own notes (corenotes.h). */
#ifndef CW_COLLECTOR_PROCINFO_H
#define CW_COLLECTOR_PROCINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collector/collect.h"
#include "collector/container.h"
#include "collector/libraries.h"

#define CW_MAX_MAPPINGS 8192
#define CW_PROCINFO_NS_COUNT 8

struct cw_mapping {
	uint64_t start, end, offset;
	char perms[5];
	char *path;                /* NULL for anonymous */
};

struct cw_procinfo {
	bool from_proc;            /* true: verified /proc; false: core notes / nothing */
	char note[160];            /* why we fell back, "" otherwise */
	const char *pidfd_source;  /* "kernel" (%F / SO_PEERPIDFD), "pidfd_open", or NULL */
	char *exe;
	char *build_id;            /* hex */
	int exe_fd;                /* open executable (for KeepExecutable), -1 */
	char **cmdline;            /* n_cmdline strings */
	size_t n_cmdline;
	char *cwd;
	char *comm;
	int64_t uid, euid, gid, egid; /* -1 unknown */
	int signal;                /* from the core (socket mode), -1 */
	bool core_dumping;         /* /proc says the process is dumping core */
	bool nondumpable;          /* /proc/PID owned by root for a non-root process: not dumpable */
	char *cgroup;
	char *unit;
	char *user_unit;
	char *ns[CW_PROCINFO_NS_COUNT]; /* "pid:[4026531836]" in cw_procinfo_ns_names order */
	bool container;
	bool container_known;
	struct cw_container_info container_info; /* runtime, pod, exe paths (container.h) */
	char *env[3];              /* GOTRACEBACK, GODEBUG, GOMAXPROCS */
	struct cw_mapping *maps;
	size_t n_maps;
	bool maps_truncated;
	struct cw_proc_libs libs;  /* a container's mapped libraries, open (libraries.h) */
};

extern const char *const cw_procinfo_ns_names[CW_PROCINFO_NS_COUNT];
extern const char *const cw_procinfo_env_names[3];

void cw_procinfo_init(struct cw_procinfo *p);
void cw_procinfo_free(struct cw_procinfo *p);

/* Opens (or checks c->pidfd) and verifies a pidfd for c->pid, then reads
 * /proc/PID. Returns 0 with p->from_proc set, or a negative errno with
 * p->note saying why /proc could not be trusted (p is then empty). */
int cw_procinfo_read(const struct cw_crash_info *c, struct cw_procinfo *p);

/* Adds a mapping (takes path, may be NULL); -E2BIG past CW_MAX_MAPPINGS
 * (sets maps_truncated). */
int cw_procinfo_add_mapping(struct cw_procinfo *p, uint64_t start, uint64_t end, uint64_t offset,
			    const char *perms, const char *path);

/* GNU build id of an open ELF file, as malloc'd hex in *out. */
int cw_elf_build_id(int fd, char **out);

#endif
