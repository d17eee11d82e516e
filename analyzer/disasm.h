/* Disassembly through capstone (Intel syntax on x86): one instruction at
 * an address, a few instructions of context around a pc, and the code
 * references of a function (CALL targets, RIP-relative operands) that let
 * callers find data symbols such as runtime.allgs in stripped binaries.
 * Bytes are either given by the caller or read through cw_mem. */
#ifndef CW_ANALYZER_DISASM_H
#define CW_ANALYZER_DISASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyzer/arch.h"
#include "analyzer/memory.h"

#define CW_INSN_TEXT_MAX 200   /* capstone: mnemonic[32] + " " + op_str[160] */
#define CW_INSN_MAX_BYTES 16     /* longest x86 instruction is 15 bytes */

struct cw_insn {
	uint64_t addr;
	uint8_t size;
	char text[CW_INSN_TEXT_MAX];   /* "mov rax, qword ptr [rax + 8]" */
	bool is_call;
	bool is_ret;
	bool is_jump;                   /* jmp or conditional jump */
	bool has_target;                /* direct call/jump target known */
	uint64_t target;
	bool has_rip_ref;               /* a memory operand [rip + disp] (or lea of one) */
	uint64_t rip_ref;               /* its absolute address */
	bool is_lea;                    /* the rip-relative operand is an address (lea), not a load */
	int dest_reg;                   /* capstone register id written by mov/lea with a register destination, else 0 */
	bool has_imm;                   /* mov reg, imm */
	int64_t imm;
};

struct cw_disasm;

/* arch may be NULL for amd64. -ENOTSUP for an architecture capstone
 * does not know, -ENOMEM. */
int cw_disasm_new(const struct cw_arch *arch, struct cw_disasm **out);
void cw_disasm_free(struct cw_disasm *d);

/* Decodes the instruction at the start of code (len bytes, loaded at
 * addr): 0, or -EILSEQ when the bytes are not a valid instruction. */
int cw_disasm_bytes(struct cw_disasm *d, const uint8_t *code, size_t len, uint64_t addr, struct cw_insn *out);
/* Same, reading the bytes at runtime address addr through mem: 0,
 * -EFAULT when unreadable, -EILSEQ. */
int cw_disasm_at(struct cw_disasm *d, struct cw_mem *mem, uint64_t addr, struct cw_insn *out);

/* Context around pc in a code buffer that starts at base: up to before
 * instructions preceding pc, the instruction at pc, and up to after
 * following it, decoded forward from func_start (the function's entry,
 * base <= func_start <= pc; when 0 an instruction boundary that lands on
 * pc is searched for in the bytes before it). Fills out[0..*n), with
 * out[*pc_index] the instruction at pc. max must be >= before + 1 + after.
 * 0, -EILSEQ when pc cannot be reached on an instruction boundary, -EINVAL. */
int cw_disasm_context_bytes(struct cw_disasm *d, const uint8_t *code, size_t len, uint64_t base,
			    uint64_t func_start, uint64_t pc, size_t before, size_t after,
			    struct cw_insn *out, size_t max, size_t *n, size_t *pc_index);
/* Same, reading process memory through mem (at most 64 KiB before pc). */
int cw_disasm_context(struct cw_disasm *d, struct cw_mem *mem, uint64_t func_start, uint64_t pc,
		      size_t before, size_t after, struct cw_insn *out, size_t max, size_t *n,
		      size_t *pc_index);

enum cw_code_ref_kind {
	CW_REF_CALL,        /* direct call to target */
	CW_REF_RIP_LOAD,    /* memory operand [rip + disp] read or written at target */
	CW_REF_RIP_ADDR,    /* lea reg, [rip + disp]: the address itself is used */
};

struct cw_code_ref {
	uint64_t insn_addr;
	uint64_t target;
	enum cw_code_ref_kind kind;
};

/* Every CALL target and RIP-relative operand of the code in
 * [start, start + len) (a function's body), in address order; decoding
 * skips undecodable bytes one at a time. *refs is malloc'd (may be NULL
 * when *n == 0). 0 or -ENOMEM / -E2BIG (len above 1 MiB). */
int cw_disasm_refs_bytes(struct cw_disasm *d, const uint8_t *code, size_t len, uint64_t start,
			 struct cw_code_ref **refs, size_t *n);
/* Same, reading [start, end) through mem: -EFAULT when unreadable. */
int cw_disasm_refs(struct cw_disasm *d, struct cw_mem *mem, uint64_t start, uint64_t end,
		   struct cw_code_ref **refs, size_t *n);

/* Capstone register name ("rax") of a register id, or NULL. */
const char *cw_disasm_reg_name(const struct cw_disasm *d, int reg);

#endif
