/* amd64: register decoding from NT_PRSTATUS (struct user_regs_struct),
 * the registers Go and the unwinders care about, and the capstone mode. */
#include "config.h"
#include "analyzer/arch.h"

#include <capstone/capstone.h>
#include <elf.h>
#include <errno.h>
#include <string.h>

/* struct user_regs_struct, in the kernel's order */
enum {
	AMD64_R15, AMD64_R14, AMD64_R13, AMD64_R12, AMD64_RBP, AMD64_RBX,
	AMD64_R11, AMD64_R10, AMD64_R9, AMD64_R8, AMD64_RAX, AMD64_RCX,
	AMD64_RDX, AMD64_RSI, AMD64_RDI, AMD64_ORIG_RAX, AMD64_RIP, AMD64_CS,
	AMD64_EFLAGS, AMD64_RSP, AMD64_SS, AMD64_FS_BASE, AMD64_GS_BASE,
	AMD64_DS, AMD64_ES, AMD64_FS, AMD64_GS,
	AMD64_NREGS
};

static const char *const amd64_reg_names[AMD64_NREGS] = {
	"r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8",
	"rax", "rcx", "rdx", "rsi", "rdi", "orig_rax", "rip", "cs", "eflags",
	"rsp", "ss", "fs_base", "gs_base", "ds", "es", "fs", "gs",
};

static int amd64_regs_from_prstatus(const void *pr_reg, size_t len, struct cw_regs *out)
{
	if (!pr_reg || !out)
		return -EINVAL;
	if (len < AMD64_NREGS * sizeof(uint64_t))
		return -EBADMSG;
	memset(out, 0, sizeof(*out));
	memcpy(out->r, pr_reg, AMD64_NREGS * sizeof(uint64_t));
	out->n = AMD64_NREGS;
	return 0;
}

static uint64_t amd64_reg(const struct cw_regs *r, unsigned idx)
{
	return (r && idx < r->n) ? r->r[idx] : 0;
}

static uint64_t amd64_pc(const struct cw_regs *r) { return amd64_reg(r, AMD64_RIP); }
static uint64_t amd64_sp(const struct cw_regs *r) { return amd64_reg(r, AMD64_RSP); }
static uint64_t amd64_fp(const struct cw_regs *r) { return amd64_reg(r, AMD64_RBP); }
static uint64_t amd64_tls_base(const struct cw_regs *r) { return amd64_reg(r, AMD64_FS_BASE); }

static uint64_t amd64_g_reg(const struct cw_regs *r)
{
	return (r && r->n > AMD64_R14) ? r->r[AMD64_R14] : UINT64_MAX;
}

const struct cw_arch cw_arch_amd64 = {
	.name = "amd64",
	.elf_machine = EM_X86_64,
	.ptr_size = 8,
	.min_frame_size = 0,
	.ret_addr_on_stack = true,
	.regs_from_prstatus = amd64_regs_from_prstatus,
	.pc = amd64_pc,
	.sp = amd64_sp,
	.fp = amd64_fp,
	.g_reg = amd64_g_reg,
	.tls_base = amd64_tls_base,
	.tls_g_offset = -8,
	.reg_names = amd64_reg_names,
	.n_reg_names = AMD64_NREGS,
	.cs_arch = CS_ARCH_X86,
	.cs_mode = CS_MODE_64,
};

const struct cw_arch *cw_arch_for_machine(uint16_t elf_machine)
{
	switch (elf_machine) {
	case EM_X86_64:
		return &cw_arch_amd64;
	default:
		return NULL;
	}
}
