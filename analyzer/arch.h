/* The architecture-specific parts of the analyzer, behind one small
 * interface: register set from NT_PRSTATUS, which registers are pc, sp,
 * frame pointer and the Go g register, the TLS slot of g, frame layout
 * and the capstone mode. amd64 now; arm64 gets its own arch_arm64.c. */
#ifndef CW_ANALYZER_ARCH_H
#define CW_ANALYZER_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CW_MAX_REGS 64

struct cw_regs {
	uint64_t r[CW_MAX_REGS];   /* in the arch's own order (amd64: user_regs_struct order) */
	unsigned n;
};

struct cw_arch {
	const char *name;          /* "amd64" */
	uint16_t elf_machine;      /* EM_X86_64 */
	unsigned ptr_size;         /* 8 */
	unsigned min_frame_size;   /* bytes between sp and the first argument slot besides the return address (0 on amd64) */
	bool ret_addr_on_stack;    /* amd64: CALL pushes the return address */
	/* decode the pr_reg blob of an NT_PRSTATUS note */
	int (*regs_from_prstatus)(const void *pr_reg, size_t len, struct cw_regs *out);
	uint64_t (*pc)(const struct cw_regs *r);
	uint64_t (*sp)(const struct cw_regs *r);
	uint64_t (*fp)(const struct cw_regs *r);
	/* register that holds g in Go ABIInternal code (amd64: R14), or UINT64_MAX when none */
	uint64_t (*g_reg)(const struct cw_regs *r);
	/* thread pointer (amd64: fs_base); g is at tls_g_offset from it in non-ABIInternal code */
	uint64_t (*tls_base)(const struct cw_regs *r);
	int64_t tls_g_offset;      /* amd64: -8 */
	/* names of registers, for reports */
	const char *const *reg_names;
	unsigned n_reg_names;
	/* capstone arch and mode */
	int cs_arch;
	int cs_mode;
};

const struct cw_arch *cw_arch_for_machine(uint16_t elf_machine);
extern const struct cw_arch cw_arch_amd64;

#endif
