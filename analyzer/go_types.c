#include "config.h"
#include "analyzer/go_types.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"

#define PTR_SIZE 8u
#define NAME_VARINT_MAX 5          /* a uint32 length needs at most 5 bytes */
#define METHODS_MAX 4096u          /* bound on mcount */
#define UNCOMMON_SIZE 16u          /* PkgPath, Mcount, Xcount, Moff, unused */
#define METHOD_SIZE 16u            /* Name, Mtyp, Ifn, Tfn */

static const char *const basic_names[] = {
	[CW_GOKIND_BOOL] = "bool",
	[CW_GOKIND_INT] = "int",
	[CW_GOKIND_INT8] = "int8",
	[CW_GOKIND_INT16] = "int16",
	[CW_GOKIND_INT32] = "int32",
	[CW_GOKIND_INT64] = "int64",
	[CW_GOKIND_UINT] = "uint",
	[CW_GOKIND_UINT8] = "uint8",
	[CW_GOKIND_UINT16] = "uint16",
	[CW_GOKIND_UINT32] = "uint32",
	[CW_GOKIND_UINT64] = "uint64",
	[CW_GOKIND_UINTPTR] = "uintptr",
	[CW_GOKIND_FLOAT32] = "float32",
	[CW_GOKIND_FLOAT64] = "float64",
	[CW_GOKIND_COMPLEX64] = "complex64",
	[CW_GOKIND_COMPLEX128] = "complex128",
	[CW_GOKIND_STRING] = "string",
};

const char *cw_go_kind_basic_name(uint8_t kind)
{
	if (kind >= CW_ARRAY_SIZE(basic_names))
		return NULL;
	return basic_names[kind];
}

/* addr + off when the whole [addr+off, addr+off+len) lies in the module's
 * types section; false otherwise. */
static bool in_types(const struct cw_go_types *t, uint64_t addr, int64_t off, uint64_t len, uint64_t *out)
{
	if (t->etypes <= t->types)
		return false;
	uint64_t a = addr + (uint64_t)off;
	if (off < 0 && (uint64_t)(-off) > addr)
		return false;
	if (a < t->types || a >= t->etypes || len > t->etypes - a)
		return false;
	*out = a;
	return true;
}

int cw_go_name_read(struct cw_mem *mem, uint64_t addr, char **out)
{
	uint8_t hdr[1 + NAME_VARINT_MAX];
	*out = NULL;
	/* the name may end right after a short length: read the flag byte and
	 * the varint one byte at a time */
	if (cw_mem_u8(mem, addr, &hdr[0]) < 0)
		return -EFAULT;
	uint64_t len = 0;
	size_t i;
	for (i = 0; i < NAME_VARINT_MAX; i++) {
		if (cw_mem_u8(mem, addr + 1 + i, &hdr[1 + i]) < 0)
			return -EFAULT;
		len |= (uint64_t)(hdr[1 + i] & 0x7f) << (7 * i);
		if (!(hdr[1 + i] & 0x80))
			break;
	}
	if (i == NAME_VARINT_MAX)
		return -EBADMSG;
	char *s;
	int r = cw_mem_gostring(mem, addr + 2 + i, len, CW_GO_NAME_MAX, &s);
	if (r < 0)
		return r == -E2BIG || r == -ENOMEM ? r : -EFAULT;
	if (memchr(s, '\0', len)) {
		free(s);
		return -EBADMSG;
	}
	*out = s;
	return 0;
}

int cw_go_type_read(const struct cw_go_types *t, uint64_t addr, struct cw_go_type *out)
{
	const struct cw_go_layout *l = t->layout;
	if (!l || !cw_go_has(l->type_sizeof) || !cw_go_has(l->type_str) || !cw_go_has(l->type_kind) ||
	    !cw_go_has(l->type_tflag) || !cw_go_has(l->type_size))
		return -ENOTSUP;
	uint64_t a;
	if (!in_types(t, addr, 0, (uint64_t)l->type_sizeof.size, &a))
		return -ERANGE;
	memset(out, 0, sizeof(*out));
	out->addr = addr;
	uint32_t str;
	if (cw_mem_u64(t->mem, addr + (uint64_t)l->type_size.off, &out->size) < 0 ||
	    cw_mem_u8(t->mem, addr + (uint64_t)l->type_tflag.off, &out->tflag) < 0 ||
	    cw_mem_u8(t->mem, addr + (uint64_t)l->type_kind.off, &out->kind_raw) < 0 ||
	    cw_mem_u32(t->mem, addr + (uint64_t)l->type_str.off, &str) < 0)
		return -EFAULT;
	out->kind = out->kind_raw & CW_GOKIND_MASK;
	out->str = (int32_t)str;
	if (out->kind == CW_GOKIND_INVALID || out->kind > CW_GOKIND_UNSAFE_POINTER)
		return -EBADMSG;
	return 0;
}

int cw_go_type_name(const struct cw_go_types *t, uint64_t addr, char **out)
{
	*out = NULL;
	struct cw_go_type ty;
	int r = cw_go_type_read(t, addr, &ty);
	if (r < 0)
		return r;
	uint64_t name_addr;
	if (ty.str <= 0 || !in_types(t, t->types, ty.str, 2, &name_addr))
		return -EBADMSG;
	_cleanup_free_ char *s = NULL;
	r = cw_go_name_read(t->mem, name_addr, &s);
	if (r < 0)
		return r;
	if (ty.tflag & CW_GO_TFLAG_EXTRA_STAR) {
		if (s[0] == '\0')
			return -EBADMSG;
		memmove(s, s + 1, strlen(s));
	}
	if (s[0] == '\0')
		return -EBADMSG;
	*out = CW_TAKE_PTR(s);
	return 0;
}

/* Size of the kind-specific descriptor that the uncommon type follows
 * (internal/abi.Type.Uncommon). 0 when not known (maps: their layout
 * changed with swiss tables). */
static uint64_t kind_struct_size(uint64_t type_size, uint8_t kind)
{
	switch (kind) {
	case CW_GOKIND_POINTER:
	case CW_GOKIND_SLICE:
		return type_size + PTR_SIZE;                    /* Elem */
	case CW_GOKIND_ARRAY:
		return type_size + 3 * PTR_SIZE;                /* Elem, Slice, Len */
	case CW_GOKIND_CHAN:
		return type_size + 2 * PTR_SIZE;                /* Elem, Dir */
	case CW_GOKIND_FUNC:
		return (type_size + 4 + PTR_SIZE - 1) & ~(uint64_t)(PTR_SIZE - 1); /* InCount, OutCount */
	case CW_GOKIND_INTERFACE:
	case CW_GOKIND_STRUCT:
		return type_size + PTR_SIZE + 3 * PTR_SIZE;     /* PkgPath, slice */
	case CW_GOKIND_MAP:
		return 0;
	default:
		return type_size;
	}
}

int cw_go_type_find_method(const struct cw_go_types *t, uint64_t addr, const char *name)
{
	struct cw_go_type ty;
	int r = cw_go_type_read(t, addr, &ty);
	if (r < 0)
		return r;
	if (!(ty.tflag & CW_GO_TFLAG_UNCOMMON))
		return -ENOENT;
	uint64_t off = kind_struct_size((uint64_t)t->layout->type_sizeof.size, ty.kind);
	if (off == 0)
		return -ENOTSUP;
	uint64_t u;
	if (!in_types(t, addr, (int64_t)off, UNCOMMON_SIZE, &u))
		return -EBADMSG;
	uint16_t mcount;
	uint32_t moff;
	if (cw_mem_u16(t->mem, u + 4, &mcount) < 0 || cw_mem_u32(t->mem, u + 8, &moff) < 0)
		return -EFAULT;
	if (mcount > METHODS_MAX)
		return -EBADMSG;
	for (uint16_t i = 0; i < mcount; i++) {
		uint64_t m;
		if (!in_types(t, u, (int64_t)moff + (int64_t)i * METHOD_SIZE, METHOD_SIZE, &m))
			return -EBADMSG;
		uint32_t nameoff;
		if (cw_mem_u32(t->mem, m, &nameoff) < 0)
			return -EFAULT;
		uint64_t na;
		if ((int32_t)nameoff <= 0 || !in_types(t, t->types, (int32_t)nameoff, 2, &na))
			continue;
		_cleanup_free_ char *mn = NULL;
		if (cw_go_name_read(t->mem, na, &mn) < 0)
			continue;
		if (strcmp(mn, name) == 0)
			return 0;
	}
	return -ENOENT;
}
