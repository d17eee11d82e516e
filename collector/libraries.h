/* The shared libraries of a crashing process in another mount namespace
 * (a container): opened while the kernel holds the process, through
 * /proc/PID/map_files (the very files it mapped), so that the collector can
 * keep them by build id next to the kept executables (docs/spool.md). */
#ifndef CW_COLLECTOR_LIBRARIES_H
#define CW_COLLECTOR_LIBRARIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CW_LIBS_MAX 32                   /* libraries kept per crash */
#define CW_LIBS_TOTAL_MAX (256ULL << 20) /* their total size per crash */
#define CW_LIBS_SCAN_MAX 1024            /* executable mappings looked at */

struct cw_proc_lib {
	char *path;     /* as the process sees it (its mount namespace) */
	char *build_id; /* hex */
	int fd;         /* the mapped file, read-only */
	uint64_t size;
	char *copy; /* set by the collector once kept: "executables/BUILDID" */
};

struct cw_proc_libs {
	bool checked;   /* the process is in another mount namespace and its maps were read */
	bool truncated; /* CW_LIBS_MAX or CW_LIBS_TOTAL_MAX left some out */
	struct cw_proc_lib *v;
	size_t n;
};

struct cw_mapping;

/* proc_fd: the pidfd-checked /proc/PID. When its mount namespace is not
 * ours, opens each file-backed executable mapping's file (maps[], n_maps)
 * through map_files/START-END, except the executable itself (exe_fd, may
 * be -1), files without a GNU build id, and files whose path on the host
 * is the same file (device and inode): the analyzer finds those anyway.
 * 0 (also when nothing is kept) or a negative errno (-ENOMEM). */
int cw_proc_libs_open(struct cw_proc_libs *l, int proc_fd, const struct cw_mapping *maps, size_t n_maps,
		      int exe_fd);
void cw_proc_libs_free(struct cw_proc_libs *l);

/* Whether a mapping's path carries the kernel's " (deleted)" suffix (no
 * file on the host can be the one mapped). */
bool cw_proc_lib_path_deleted(const char *path);

#endif
