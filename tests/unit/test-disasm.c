/* analyzer/disasm.c: known x86-64 bytes -> known Intel-syntax text,
 * context around a pc, and code references. Process memory is a small
 * test double of cw_mem_read over one buffer (this test links disasm.c
 * alone). */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "analyzer/disasm.h"

/* ---- a one-buffer address space standing in for analyzer/memory.c ---- */
struct cw_mem {
	uint64_t base;
	const uint8_t *data;
	size_t len;
};

int cw_mem_read(struct cw_mem *m, uint64_t addr, void *buf, size_t len)
{
	if (addr < m->base || addr - m->base > m->len || len > m->len - (addr - m->base))
		return -EFAULT;
	memcpy(buf, m->data + (addr - m->base), len);
	return 0;
}

/* A tiny function:
 *   0x401000: push rbp
 *   0x401001: mov rbp, rsp
 *   0x401004: lea rax, [rip + 0x1ff5]      -> 0x403000
 *   0x40100b: mov ebx, 0x15
 *   0x401010: call 0x401100
 *   0x401015: mov rax, qword ptr [rax + 8]
 *   0x401019: mov rcx, qword ptr [rip + 0x2fe0]  -> 0x404000
 *   0x401020: pop rbp
 *   0x401021: ret
 */
static const uint8_t code[] = {
	0x55,
	0x48, 0x89, 0xe5,
	0x48, 0x8d, 0x05, 0xf5, 0x1f, 0x00, 0x00,
	0xbb, 0x15, 0x00, 0x00, 0x00,
	0xe8, 0xeb, 0x00, 0x00, 0x00,
	0x48, 0x8b, 0x40, 0x08,
	0x48, 0x8b, 0x0d, 0xe0, 0x2f, 0x00, 0x00,
	0x5d,
	0xc3,
};
#define BASE 0x401000u

static int setup(void **state)
{
	struct cw_disasm *d = NULL;
	if (cw_disasm_new(NULL, &d) < 0)
		return -1;
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	cw_disasm_free(*state);
	return 0;
}

static void test_one_instruction_text(void **state)
{
	struct cw_disasm *d = *state;
	struct cw_insn in;
	assert_int_equal(cw_disasm_bytes(d, code + 0x15, sizeof(code) - 0x15, BASE + 0x15, &in), 0);
	assert_string_equal(in.text, "mov rax, qword ptr [rax + 8]");
	assert_int_equal(in.size, 4);
	assert_false(in.is_call);

	assert_int_equal(cw_disasm_bytes(d, code + 0x10, 5, BASE + 0x10, &in), 0);
	assert_string_equal(in.text, "call 0x401100");
	assert_true(in.is_call);
	assert_true(in.has_target);
	assert_int_equal(in.target, 0x401100);

	assert_int_equal(cw_disasm_bytes(d, code + 0x21, 1, BASE + 0x21, &in), 0);
	assert_string_equal(in.text, "ret");
	assert_true(in.is_ret);
}

static void test_lea_and_mov_imm_details(void **state)
{
	struct cw_disasm *d = *state;
	struct cw_insn in;
	assert_int_equal(cw_disasm_bytes(d, code + 4, 7, BASE + 4, &in), 0);
	assert_string_equal(in.text, "lea rax, [rip + 0x1ff5]");
	assert_true(in.is_lea);
	assert_true(in.has_rip_ref);
	assert_int_equal(in.rip_ref, 0x403000);
	assert_string_equal(cw_disasm_reg_name(d, in.dest_reg), "rax");

	assert_int_equal(cw_disasm_bytes(d, code + 0xb, 5, BASE + 0xb, &in), 0);
	assert_string_equal(in.text, "mov ebx, 0x15");
	assert_true(in.has_imm);
	assert_int_equal(in.imm, 0x15);
	assert_string_equal(cw_disasm_reg_name(d, in.dest_reg), "ebx");
}

static void test_invalid_and_truncated_bytes(void **state)
{
	struct cw_disasm *d = *state;
	struct cw_insn in;
	static const uint8_t bad[] = { 0x0f, 0xff };   /* ud0 needs a modrm: truncated */
	assert_int_equal(cw_disasm_bytes(d, bad, 1, 0x1000, &in), -EILSEQ);
	assert_int_equal(cw_disasm_bytes(d, code + 4, 3, BASE + 4, &in), -EILSEQ); /* lea cut short */
	assert_int_equal(cw_disasm_bytes(d, code, 0, BASE, &in), -EILSEQ);
}

static void test_context_from_function_start(void **state)
{
	struct cw_disasm *d = *state;
	struct cw_insn out[8];
	size_t n = 0, at = 0;
	assert_int_equal(cw_disasm_context_bytes(d, code, sizeof(code), BASE, BASE, BASE + 0x15,
						 3, 2, out, 8, &n, &at), 0);
	assert_int_equal(n, 6);
	assert_int_equal(at, 3);
	assert_int_equal(out[0].addr, BASE + 0x4);
	assert_int_equal(out[1].addr, BASE + 0xb);
	assert_int_equal(out[2].addr, BASE + 0x10);
	assert_string_equal(out[3].text, "mov rax, qword ptr [rax + 8]");
	assert_string_equal(out[4].text, "mov rcx, qword ptr [rip + 0x2fe0]");
	assert_string_equal(out[5].text, "pop rbp");

	/* pc near the start: fewer instructions before it */
	assert_int_equal(cw_disasm_context_bytes(d, code, sizeof(code), BASE, BASE, BASE + 1,
						 3, 1, out, 8, &n, &at), 0);
	assert_int_equal(at, 1);
	assert_string_equal(out[0].text, "push rbp");
	assert_string_equal(out[1].text, "mov rbp, rsp");
	assert_int_equal(n, 3);

	/* pc inside an instruction is not on a boundary */
	assert_int_equal(cw_disasm_context_bytes(d, code, sizeof(code), BASE, BASE, BASE + 2,
						 3, 1, out, 8, &n, &at), -EILSEQ);
	/* too small an output */
	assert_int_equal(cw_disasm_context_bytes(d, code, sizeof(code), BASE, BASE, BASE + 0x15,
						 3, 2, out, 5, &n, &at), -EINVAL);
}

static void test_context_through_memory(void **state)
{
	struct cw_disasm *d = *state;
	struct cw_mem mem = { .base = BASE, .data = code, .len = sizeof(code) };
	struct cw_insn out[8];
	size_t n = 0, at = 0;
	/* the tail runs off the end of the mapping: still decodes what is there */
	assert_int_equal(cw_disasm_context(d, &mem, BASE, BASE + 0x20, 2, 3, out, 8, &n, &at), 0);
	assert_int_equal(at, 2);
	assert_int_equal(n, 4);
	assert_string_equal(out[2].text, "pop rbp");
	assert_string_equal(out[3].text, "ret");
	/* without a function start: synchronises on pc */
	assert_int_equal(cw_disasm_context(d, &mem, 0, BASE + 0x19, 2, 0, out, 8, &n, &at), 0);
	assert_string_equal(out[at].text, "mov rcx, qword ptr [rip + 0x2fe0]");
	struct cw_insn one;
	assert_int_equal(cw_disasm_at(d, &mem, BASE + 0x21, &one), 0);
	assert_string_equal(one.text, "ret");
	assert_int_equal(cw_disasm_at(d, &mem, BASE + 0x100, &one), -EFAULT);
}

static void test_refs(void **state)
{
	struct cw_disasm *d = *state;
	struct cw_code_ref *refs = NULL;
	size_t n = 0;
	assert_int_equal(cw_disasm_refs_bytes(d, code, sizeof(code), BASE, &refs, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(refs[0].kind, CW_REF_RIP_ADDR);
	assert_int_equal(refs[0].target, 0x403000);
	assert_int_equal(refs[0].insn_addr, BASE + 4);
	assert_int_equal(refs[1].kind, CW_REF_CALL);
	assert_int_equal(refs[1].target, 0x401100);
	assert_int_equal(refs[2].kind, CW_REF_RIP_LOAD);
	assert_int_equal(refs[2].target, 0x404000);
	free(refs);

	struct cw_mem mem = { .base = BASE, .data = code, .len = sizeof(code) };
	assert_int_equal(cw_disasm_refs(d, &mem, BASE, BASE + sizeof(code), &refs, &n), 0);
	assert_int_equal(n, 3);
	free(refs);
	assert_int_equal(cw_disasm_refs(d, &mem, BASE, BASE + sizeof(code) + 1, &refs, &n), -EFAULT);
	assert_null(refs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_instruction_text),
		cmocka_unit_test(test_lea_and_mov_imm_details),
		cmocka_unit_test(test_invalid_and_truncated_bytes),
		cmocka_unit_test(test_context_from_function_start),
		cmocka_unit_test(test_context_through_memory),
		cmocka_unit_test(test_refs),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
