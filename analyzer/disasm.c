#include "config.h"
#include "analyzer/disasm.h"

#include <capstone/capstone.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"

#define CONTEXT_MAX_SPAN (64u * 1024u)   /* bytes decoded forward to reach pc */
#define REFS_MAX_LEN (1024u * 1024u)     /* biggest function body scanned for refs */
#define SYNC_WINDOW 64u                  /* bytes searched back for a boundary without func_start */

struct cw_disasm {
	csh handle;
	cs_arch arch;
	cs_insn *scratch;                /* one reusable decoded instruction */
};

int cw_disasm_new(const struct cw_arch *arch, struct cw_disasm **out)
{
	cs_arch a = CS_ARCH_X86;
	cs_mode m = CS_MODE_64;
	if (arch) {
		a = (cs_arch)arch->cs_arch;
		m = (cs_mode)arch->cs_mode;
	}
	struct cw_disasm *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->arch = a;
	if (cs_open(a, m, &d->handle) != CS_ERR_OK) {
		free(d);
		return -ENOTSUP;
	}
	if (a == CS_ARCH_X86)
		cs_option(d->handle, CS_OPT_SYNTAX, CS_OPT_SYNTAX_INTEL);
	cs_option(d->handle, CS_OPT_DETAIL, CS_OPT_ON);
	d->scratch = cs_malloc(d->handle);
	if (!d->scratch) {
		cs_close(&d->handle);
		free(d);
		return -ENOMEM;
	}
	*out = d;
	return 0;
}

void cw_disasm_free(struct cw_disasm *d)
{
	if (!d)
		return;
	cs_free(d->scratch, 1);
	cs_close(&d->handle);
	free(d);
}

const char *cw_disasm_reg_name(const struct cw_disasm *d, int reg)
{
	if (reg <= 0)
		return NULL;
	return cs_reg_name(d->handle, (unsigned)reg);
}

static void fill_x86_details(const cs_insn *ci, struct cw_insn *out)
{
	const cs_x86 *x = &ci->detail->x86;
	for (uint8_t i = 0; i < x->op_count && i < 8; i++) {
		const cs_x86_op *op = &x->operands[i];
		if (op->type == X86_OP_MEM && op->mem.base == X86_REG_RIP && op->mem.index == X86_REG_INVALID) {
			out->has_rip_ref = true;
			out->rip_ref = ci->address + ci->size + (uint64_t)op->mem.disp;
		}
		if (op->type == X86_OP_IMM && (out->is_call || out->is_jump)) {
			out->has_target = true;
			out->target = (uint64_t)op->imm;
		}
	}
	out->is_lea = ci->id == X86_INS_LEA;
	bool is_mov = ci->id == X86_INS_MOV || ci->id == X86_INS_MOVABS;
	if ((is_mov || out->is_lea) && x->op_count == 2 && x->operands[0].type == X86_OP_REG) {
		out->dest_reg = x->operands[0].reg;
		if (x->operands[1].type == X86_OP_IMM) {
			out->has_imm = true;
			out->imm = x->operands[1].imm;
		}
	}
}

static void fill_insn(const struct cw_disasm *d, const cs_insn *ci, struct cw_insn *out)
{
	memset(out, 0, sizeof(*out));
	out->addr = ci->address;
	out->size = (uint8_t)ci->size;
	if (ci->op_str[0])
		snprintf(out->text, sizeof(out->text), "%s %s", ci->mnemonic, ci->op_str);
	else
		snprintf(out->text, sizeof(out->text), "%s", ci->mnemonic);
	const cs_detail *det = ci->detail;
	for (uint8_t i = 0; det && i < det->groups_count && i < 8; i++) {
		switch (det->groups[i]) {
		case CS_GRP_CALL:
			out->is_call = true;
			break;
		case CS_GRP_RET:
			out->is_ret = true;
			break;
		case CS_GRP_JUMP:
			out->is_jump = true;
			break;
		default:
			break;
		}
	}
	if (d->arch == CS_ARCH_X86 && det)
		fill_x86_details(ci, out);
}

/* Decodes one instruction at code[0..len) into the scratch slot. */
static bool decode_one(struct cw_disasm *d, const uint8_t *code, size_t len, uint64_t addr)
{
	const uint8_t *p = code;
	size_t left = len;
	uint64_t a = addr;
	return cs_disasm_iter(d->handle, &p, &left, &a, d->scratch);
}

int cw_disasm_bytes(struct cw_disasm *d, const uint8_t *code, size_t len, uint64_t addr, struct cw_insn *out)
{
	if (!code || len == 0)
		return -EILSEQ;
	if (!decode_one(d, code, len, addr))
		return -EILSEQ;
	fill_insn(d, d->scratch, out);
	return 0;
}

/* Reads up to want bytes at addr, shrinking until readable (an instruction
 * may sit at the very end of a mapping). Returns the count read, 0 if none. */
static size_t read_some(struct cw_mem *mem, uint64_t addr, uint8_t *buf, size_t want)
{
	for (size_t n = want; n > 0; n--)
		if (cw_mem_read(mem, addr, buf, n) == 0)
			return n;
	return 0;
}

int cw_disasm_at(struct cw_disasm *d, struct cw_mem *mem, uint64_t addr, struct cw_insn *out)
{
	uint8_t buf[CW_INSN_MAX_BYTES];
	size_t n = read_some(mem, addr, buf, sizeof(buf));
	if (n == 0)
		return -EFAULT;
	return cw_disasm_bytes(d, buf, n, addr, out);
}

/* Walks forward from start; true when an instruction boundary hits pc.
 * Keeps the last `keep` instructions before pc in ring[] (count in *nring,
 * next slot in *head). */
static bool walk_to_pc(struct cw_disasm *d, const uint8_t *code, size_t len, uint64_t base,
		       uint64_t start, uint64_t pc, struct cw_insn *ring, size_t keep,
		       size_t *nring, size_t *head)
{
	uint64_t a = start;
	*nring = 0;
	*head = 0;
	/* every step advances at least one byte, so this is bounded by pc - start */
	while (a < pc) {
		size_t off = (size_t)(a - base);
		if (!decode_one(d, code + off, len - off, a))
			return false;
		if (keep > 0) {
			fill_insn(d, d->scratch, &ring[*head]);
			*head = (*head + 1) % keep;
			if (*nring < keep)
				(*nring)++;
		}
		a += d->scratch->size;
	}
	return a == pc;
}

int cw_disasm_context_bytes(struct cw_disasm *d, const uint8_t *code, size_t len, uint64_t base,
			    uint64_t func_start, uint64_t pc, size_t before, size_t after,
			    struct cw_insn *out, size_t max, size_t *n, size_t *pc_index)
{
	*n = 0;
	*pc_index = 0;
	if (!code || max < before + 1 + after || pc < base || pc - base >= len)
		return -EINVAL;
	if (func_start && (func_start < base || func_start > pc || pc - func_start > CONTEXT_MAX_SPAN))
		return -EINVAL;

	size_t nring = 0, head = 0;
	bool found = false;
	if (func_start) {
		found = walk_to_pc(d, code, len, base, func_start, pc, out, before, &nring, &head);
	} else {
		/* no known entry: the longest run of instructions that ends on pc */
		uint64_t lo = pc - base > SYNC_WINDOW ? pc - SYNC_WINDOW : base;
		for (uint64_t s = lo; s <= pc && !found; s++)
			found = walk_to_pc(d, code, len, base, s, pc, out, before, &nring, &head);
	}
	if (!found)
		return -EILSEQ;

	/* ring[] (== out[0..before)) holds the last nring instructions before pc,
	 * oldest at head when full: rotate into order. */
	if (nring == before && before > 0 && head != 0) {
		struct cw_insn tmp;
		for (size_t r = 0; r < head; r++) {   /* rotate left by head, one step at a time */
			tmp = out[0];
			memmove(&out[0], &out[1], (before - 1) * sizeof(*out));
			out[before - 1] = tmp;
		}
	}
	size_t k = nring;
	uint64_t a = pc;
	for (size_t i = 0; i <= after && a - base < len; i++) {
		size_t off = (size_t)(a - base);
		if (cw_disasm_bytes(d, code + off, len - off, a, &out[k]) < 0)
			break;
		if (i == 0)
			*pc_index = k;
		a += out[k].size;
		k++;
	}
	if (k == nring)
		return -EILSEQ;   /* the instruction at pc itself did not decode */
	*n = k;
	return 0;
}

int cw_disasm_context(struct cw_disasm *d, struct cw_mem *mem, uint64_t func_start, uint64_t pc,
		      size_t before, size_t after, struct cw_insn *out, size_t max, size_t *n,
		      size_t *pc_index)
{
	*n = 0;
	uint64_t start = func_start ? func_start : (pc > SYNC_WINDOW ? pc - SYNC_WINDOW : 0);
	if (start > pc || pc - start > CONTEXT_MAX_SPAN)
		return -EINVAL;
	size_t tail = (after + 1) * CW_INSN_MAX_BYTES;
	size_t want = (size_t)(pc - start) + tail;
	_cleanup_free_ uint8_t *buf = malloc(want);
	if (!buf)
		return -ENOMEM;
	/* the bytes up to pc must be readable; the tail may run off the mapping */
	size_t got_tail = read_some(mem, pc, buf + (pc - start), tail);
	if (got_tail == 0)
		return -EFAULT;
	uint64_t base = start;
	if (pc > start && cw_mem_read(mem, start, buf, (size_t)(pc - start)) < 0) {
		if (func_start)
			return -EFAULT;
		/* without an entry point fall back to the instruction at pc alone */
		base = pc;
		memmove(buf, buf + (pc - start), got_tail);
		return cw_disasm_context_bytes(d, buf, got_tail, base, pc, pc, before, after,
					       out, max, n, pc_index);
	}
	return cw_disasm_context_bytes(d, buf, (size_t)(pc - start) + got_tail, base, func_start,
				       pc, before, after, out, max, n, pc_index);
}

static int refs_push(struct cw_code_ref **refs, size_t *n, size_t *cap, uint64_t at,
		     uint64_t target, enum cw_code_ref_kind kind)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 32;
		struct cw_code_ref *nr = realloc(*refs, nc * sizeof(*nr));
		if (!nr)
			return -ENOMEM;
		*refs = nr;
		*cap = nc;
	}
	(*refs)[(*n)++] = (struct cw_code_ref){ .insn_addr = at, .target = target, .kind = kind };
	return 0;
}

int cw_disasm_refs_bytes(struct cw_disasm *d, const uint8_t *code, size_t len, uint64_t start,
			 struct cw_code_ref **refs, size_t *n)
{
	*refs = NULL;
	*n = 0;
	if (len > REFS_MAX_LEN)
		return -E2BIG;
	_cleanup_free_ struct cw_code_ref *acc = NULL;
	size_t cnt = 0, cap = 0;
	size_t off = 0;
	while (off < len) {   /* each step advances >= 1 byte */
		struct cw_insn in;
		if (cw_disasm_bytes(d, code + off, len - off, start + off, &in) < 0) {
			off++;
			continue;
		}
		int r = 0;
		if (in.is_call && in.has_target)
			r = refs_push(&acc, &cnt, &cap, in.addr, in.target, CW_REF_CALL);
		else if (in.has_rip_ref)
			r = refs_push(&acc, &cnt, &cap, in.addr, in.rip_ref,
				      in.is_lea ? CW_REF_RIP_ADDR : CW_REF_RIP_LOAD);
		if (r < 0)
			return r;
		off += in.size ? in.size : 1;
	}
	*refs = CW_TAKE_PTR(acc);
	*n = cnt;
	return 0;
}

int cw_disasm_refs(struct cw_disasm *d, struct cw_mem *mem, uint64_t start, uint64_t end,
		   struct cw_code_ref **refs, size_t *n)
{
	*refs = NULL;
	*n = 0;
	if (end <= start)
		return -EINVAL;
	if (end - start > REFS_MAX_LEN)
		return -E2BIG;
	size_t len = (size_t)(end - start);
	_cleanup_free_ uint8_t *buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	if (cw_mem_read(mem, start, buf, len) < 0)
		return -EFAULT;
	return cw_disasm_refs_bytes(d, buf, len, start, refs, n);
}
