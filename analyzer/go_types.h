/* Go type descriptors (runtime._type / internal/abi.Type) read from the
 * crashed process: the type's string as the runtime prints it
 * (rtype.string(): the Str nameOff resolved against moduledata.types, the
 * name's varint-length encoding, TFlagExtraStar), its kind, and its
 * methods (uncommon type). Every read goes through cw_mem; descriptors
 * outside [types, etypes) are refused. */
#ifndef CW_ANALYZER_GO_TYPES_H
#define CW_ANALYZER_GO_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyzer/go_layout.h"
#include "analyzer/go_quirks.h"
#include "analyzer/go_version.h"
#include "analyzer/memory.h"

/* internal/abi.Kind (the low 5 bits of Kind_) */
enum cw_go_kind {
	CW_GOKIND_INVALID = 0,
	CW_GOKIND_BOOL,
	CW_GOKIND_INT,
	CW_GOKIND_INT8,
	CW_GOKIND_INT16,
	CW_GOKIND_INT32,
	CW_GOKIND_INT64,
	CW_GOKIND_UINT,
	CW_GOKIND_UINT8,
	CW_GOKIND_UINT16,
	CW_GOKIND_UINT32,
	CW_GOKIND_UINT64,
	CW_GOKIND_UINTPTR,
	CW_GOKIND_FLOAT32,
	CW_GOKIND_FLOAT64,
	CW_GOKIND_COMPLEX64,
	CW_GOKIND_COMPLEX128,
	CW_GOKIND_ARRAY,
	CW_GOKIND_CHAN,
	CW_GOKIND_FUNC,
	CW_GOKIND_INTERFACE,
	CW_GOKIND_MAP,
	CW_GOKIND_POINTER,
	CW_GOKIND_SLICE,
	CW_GOKIND_STRING,
	CW_GOKIND_STRUCT,
	CW_GOKIND_UNSAFE_POINTER,
};
#define CW_GOKIND_MASK 0x1f

/* tflag bits */
#define CW_GO_TFLAG_UNCOMMON 0x1
#define CW_GO_TFLAG_EXTRA_STAR 0x2
#define CW_GO_TFLAG_NAMED 0x4

/* Longest type or method name accepted (runtime names are far shorter). */
#define CW_GO_NAME_MAX 4096

/* Where type descriptors live in one module. */
struct cw_go_types {
	struct cw_mem *mem;
	const struct cw_go_layout *layout;
	uint64_t types, etypes;    /* moduledata.types / etypes (runtime addresses) */
	int go_minor;
	struct cw_go_version version;   /* the exact release; major 0: go_minor's newest */
};

/* The quirk (go_quirks.h) holds for the release of these types. */
static inline bool cw_go_types_quirk(const struct cw_go_types *t, enum cw_go_quirk q)
{
	struct cw_go_version v = cw_go_version_or_minor(&t->version, t->go_minor);
	return cw_go_quirk(&v, q);
}

struct cw_go_type {
	uint64_t addr;
	uint64_t size;
	uint8_t tflag;
	uint8_t kind_raw;          /* Kind_ as stored (flag bits included before 1.26) */
	uint8_t kind;              /* enum cw_go_kind */
	int32_t str;               /* nameOff of the string form */
};

/* Reads the descriptor at addr: 0, -EFAULT (unreadable), -ERANGE (outside
 * the module's types), -EBADMSG (implausible), -ENOTSUP (layout lacks it). */
int cw_go_type_read(const struct cw_go_types *t, uint64_t addr, struct cw_go_type *out);
/* The type's string as the runtime prints it ("main.statusCode",
 * "*errors.errorString", "map[string]int"): malloc'd into *out. */
int cw_go_type_name(const struct cw_go_types *t, uint64_t addr, char **out);
/* Decodes an abi.Name at addr (flag byte, varint length, bytes): malloc'd. */
int cw_go_name_read(struct cw_mem *mem, uint64_t addr, char **out);
/* True when the type's method set (uncommon type) has a method of that
 * name; -ENOENT when it has none or no uncommon type. 0 when found. */
int cw_go_type_find_method(const struct cw_go_types *t, uint64_t addr, const char *name);
/* The predeclared name of a basic kind ("int", "float64", "string"), or NULL. */
const char *cw_go_kind_basic_name(uint8_t kind);

#endif
