/* Private to the pclntab implementation files (go_pclntab*.c,
 * go_moduledata.c): the decoded header, the table regions and the
 * bounds-checked accessors every read of table bytes goes through. */
#ifndef CW_ANALYZER_GO_PCLNTAB_INTERNAL_H
#define CW_ANALYZER_GO_PCLNTAB_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyzer/go_pclntab.h"

#define CW_PCLN_MAGIC_118 0xfffffff0u
#define CW_PCLN_MAGIC_120 0xfffffff1u

/* How a release numbers its funcIDs (see enum cw_funcid). */
enum cw_funcid_scheme {
	CW_FUNCID_SCHEME_118,   /* 1.18 .. 1.21: no corostart */
	CW_FUNCID_SCHEME_122,   /* 1.22 .. 1.24: corostart after cgocallback */
	CW_FUNCID_SCHEME_125,   /* 1.25 ..: runFinalizers, runCleanups replace runfinq */
};

/* A byte range of the table: [off, off + len) of cw_pcln.data. */
struct cw_pcln_region {
	size_t off, len;
};

/* A file-backed range of the executable at a link-time address (for the
 * inline tree in go:func.*). */
struct cw_pcln_view {
	uint64_t addr;
	const uint8_t *data;
	size_t len;
};

#define CW_PCLN_CACHE_SIZE 4096u

struct cw_pcln_cache_entry {
	uint64_t pc;        /* target pc + 1; 0 = empty */
	uint32_t off;       /* pctab offset of the table */
	int32_t val;
};

/* cw_pcln_frames results by pc (frame chains up to CW_PCLN_FC_DEPTH deep) */
#define CW_PCLN_FC_SIZE 8192u
#define CW_PCLN_FC_DEPTH 6u

struct cw_pcln_fc_frame {
	const char *raw_name, *file;
	int32_t line;
	uint8_t funcid;
	bool inlined;
};

struct cw_pcln_fc_entry {
	uint64_t pc;        /* pc + 1; 0 = empty */
	uint8_t n;
	struct cw_pcln_fc_frame f[CW_PCLN_FC_DEPTH];
};

struct cw_pcln_cache {
	struct cw_pcln_cache_entry e[CW_PCLN_CACHE_SIZE];
	struct cw_pcln_fc_entry *frames;   /* CW_PCLN_FC_SIZE entries, allocated on first use */
	/* cw_pcln_func_by_name: the last hit, to make repeated lookups cheap */
	char *last_name;
	size_t last_index;
};

struct cw_pcln {
	const uint8_t *data;     /* the table, from its header */
	size_t len;
	uint8_t *owned;          /* data when it is a private copy */
	uint32_t magic;
	uint8_t quantum;         /* minLC */
	uint8_t ptr_size;
	size_t nfunc;
	uint64_t nfiles;
	uint64_t text_start;
	uint64_t addr;           /* link-time address of the header, 0 when unknown */
	uint64_t md_addr;        /* link-time address of runtime.firstmoduledata, 0 when unknown */
	struct cw_pcln_region funcnametab, cutab, filetab, pctab, pclntable;
	size_t func_hdr_size;    /* sizeof(_func) without the trailing arrays */
	enum cw_funcid_scheme scheme;
	struct cw_pcln_view gofunc;
	bool two_group_names;      /* name frames by Go 1.27's rule (cw_go_func_name_for_print) */
	struct cw_pcln_cache *cache;
};

/* Bounds-checked little-endian reads of table bytes (the one accessor). */
bool cw_pcln_rd_u32(const struct cw_pcln *p, size_t off, uint32_t *v);
bool cw_pcln_rd_uptr(const struct cw_pcln *p, size_t off, uint64_t *v);
/* NUL-terminated string starting at off inside region r, or NULL. */
const char *cw_pcln_rd_cstr(const struct cw_pcln *p, const struct cw_pcln_region *r, size_t off);
/* Function name at a funcnametab offset, or NULL. */
const char *cw_pcln_name_at(const struct cw_pcln *p, int32_t nameoff);
/* The release-specific funcID mapped to enum cw_funcid. */
uint8_t cw_pcln_norm_funcid(const struct cw_pcln *p, uint8_t raw);
/* pc-value table at pctab offset off, for function f, at pc (link-time). */
int cw_pcln_pcvalue(const struct cw_pcln *p, const struct cw_func *f, uint32_t off, uint64_t pc, int32_t *val);
/* Reads the header at data[0..len) into p (no table checks beyond the header). */
int cw_pcln_parse_header(struct cw_pcln *p, const uint8_t *data, size_t len);
/* Builds a cw_pcln over data (not copied unless copy) and validates it. */
int cw_pcln_new(const uint8_t *data, size_t len, bool copy, uint64_t text_start, struct cw_pcln **out);

#endif
