/* analyzer/go_types.c and go_panic_value.c on hand-built type
 * descriptors: names (varint lengths, TFlagExtraStar), kinds, methods,
 * bounds; panic values printed like printpanicval in each release; the
 * runtime's float formats. Process memory is a test double of the cw_mem
 * readers over a few buffers (this test links those two files alone). The
 * same code runs on real binaries in tests/integration/go-types.sh. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "analyzer/go_panic.h"
#include "analyzer/go_types.h"

/* ---- a sparse address space standing in for analyzer/memory.c ---- */
#define TYPES 0x500000u
#define DATA 0x600000u
#define REGION 4096u

struct cw_mem {
	uint8_t types[REGION];
	uint8_t data[REGION];
};

static uint8_t *at(struct cw_mem *m, uint64_t addr, size_t len)
{
	if (addr >= TYPES && addr - TYPES <= REGION && len <= REGION - (addr - TYPES))
		return m->types + (addr - TYPES);
	if (addr >= DATA && addr - DATA <= REGION && len <= REGION - (addr - DATA))
		return m->data + (addr - DATA);
	return NULL;
}

int cw_mem_read(struct cw_mem *m, uint64_t addr, void *buf, size_t len)
{
	uint8_t *p = at(m, addr, len);
	if (!p)
		return -EFAULT;
	memcpy(buf, p, len);
	return 0;
}
int cw_mem_u8(struct cw_mem *m, uint64_t addr, uint8_t *v) { return cw_mem_read(m, addr, v, 1); }
int cw_mem_u16(struct cw_mem *m, uint64_t addr, uint16_t *v) { return cw_mem_read(m, addr, v, 2); }
int cw_mem_u32(struct cw_mem *m, uint64_t addr, uint32_t *v) { return cw_mem_read(m, addr, v, 4); }
int cw_mem_u64(struct cw_mem *m, uint64_t addr, uint64_t *v) { return cw_mem_read(m, addr, v, 8); }

static void put(struct cw_mem *m, uint64_t addr, const void *v, size_t len)
{
	uint8_t *p = at(m, addr, len);
	assert_non_null(p);
	memcpy(p, v, len);
}
static void put_u64(struct cw_mem *m, uint64_t addr, uint64_t v) { put(m, addr, &v, 8); }
static void put_u32(struct cw_mem *m, uint64_t addr, uint32_t v) { put(m, addr, &v, 4); }
static void put_u16(struct cw_mem *m, uint64_t addr, uint16_t v) { put(m, addr, &v, 2); }

/* abi.Name: flag byte, varint length, bytes. Returns the bytes used. */
static size_t put_name(struct cw_mem *m, uint64_t addr, const char *s)
{
	size_t len = strlen(s), o = 0;
	uint8_t hdr[8];
	hdr[o++] = 1;
	size_t l = len;
	do {
		hdr[o++] = (uint8_t)((l & 0x7f) | (l > 0x7f ? 0x80 : 0));
		l >>= 7;
	} while (l);
	put(m, addr, hdr, o);
	put(m, addr + o, s, len);
	return o + len;
}

/* abi.Type at addr with the given tflag, kind and name (at name_off). */
static void put_type(struct cw_mem *m, uint64_t addr, uint64_t size, uint8_t tflag, uint8_t kind,
		     uint32_t name_off, const char *name)
{
	put_u64(m, addr, size);
	put(m, addr + 20, &tflag, 1);
	put(m, addr + 23, &kind, 1);
	put_u32(m, addr + 40, name_off);
	put_name(m, TYPES + name_off, name);
}

struct fixture {
	struct cw_mem mem;
	struct cw_go_types t;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	f->t.mem = &f->mem;
	f->t.layout = cw_go_layout_for(22, NULL);
	f->t.types = TYPES;
	f->t.etypes = TYPES + REGION;
	f->t.go_minor = 22;
	if (!f->t.layout)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

static void test_kind_names(void **state)
{
	(void)state;
	assert_string_equal(cw_go_kind_basic_name(CW_GOKIND_INT), "int");
	assert_string_equal(cw_go_kind_basic_name(CW_GOKIND_COMPLEX128), "complex128");
	assert_string_equal(cw_go_kind_basic_name(CW_GOKIND_STRING), "string");
	assert_null(cw_go_kind_basic_name(CW_GOKIND_STRUCT));
	assert_null(cw_go_kind_basic_name(200));
}

static void test_type_names(void **state)
{
	struct fixture *f = *state;
	char *s = NULL;
	put_type(&f->mem, TYPES + 0x100, 8, CW_GO_TFLAG_NAMED, CW_GOKIND_INT, 0x800, "main.statusCode");
	assert_int_equal(cw_go_type_name(&f->t, TYPES + 0x100, &s), 0);
	assert_string_equal(s, "main.statusCode");
	free(s);

	/* TFlagExtraStar: the stored "*main.incident" names main.incident */
	put_type(&f->mem, TYPES + 0x140, 24, CW_GO_TFLAG_NAMED | CW_GO_TFLAG_EXTRA_STAR, CW_GOKIND_STRUCT,
		 0x820, "*main.incident");
	assert_int_equal(cw_go_type_name(&f->t, TYPES + 0x140, &s), 0);
	assert_string_equal(s, "main.incident");
	free(s);

	/* a 200-byte name needs a two-byte varint length */
	char longname[201];
	memset(longname, 'x', 200);
	memcpy(longname, "main.", 5);
	longname[200] = '\0';
	put_type(&f->mem, TYPES + 0x180, 8, 0, CW_GOKIND_POINTER, 0x840, longname);
	assert_int_equal(cw_go_type_name(&f->t, TYPES + 0x180, &s), 0);
	assert_string_equal(s, longname);
	free(s);

	struct cw_go_type ty;
	put(&f->mem, TYPES + 0x180 + 23, &(uint8_t){ CW_GOKIND_POINTER | 0x20 }, 1);  /* KindDirectIface */
	assert_int_equal(cw_go_type_read(&f->t, TYPES + 0x180, &ty), 0);
	assert_int_equal(ty.kind, CW_GOKIND_POINTER);
	assert_int_equal(ty.kind_raw, CW_GOKIND_POINTER | 0x20);
}

static void test_hostile_descriptors(void **state)
{
	struct fixture *f = *state;
	char *s = NULL;
	/* outside the module's types */
	assert_int_equal(cw_go_type_name(&f->t, DATA, &s), -ERANGE);
	assert_int_equal(cw_go_type_name(&f->t, TYPES + REGION - 8, &s), -ERANGE);
	/* name offset past etypes */
	put_type(&f->mem, TYPES + 0x200, 8, 0, CW_GOKIND_INT, 0x10, "int");
	put_u32(&f->mem, TYPES + 0x200 + 40, REGION + 100);
	assert_int_equal(cw_go_type_name(&f->t, TYPES + 0x200, &s), -EBADMSG);
	/* kind 0 / above UnsafePointer */
	put_type(&f->mem, TYPES + 0x240, 8, 0, 0, 0x20, "bad");
	assert_int_equal(cw_go_type_name(&f->t, TYPES + 0x240, &s), -EBADMSG);
	/* a name whose varint never ends */
	put_type(&f->mem, TYPES + 0x280, 8, 0, CW_GOKIND_INT, 0x900, "x");
	uint8_t endless[] = { 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	put(&f->mem, TYPES + 0x900, endless, sizeof(endless));
	assert_int_equal(cw_go_type_name(&f->t, TYPES + 0x280, &s), -EBADMSG);
	/* a name running off mapped memory */
	uint8_t big[] = { 1, 0xff, 0x1f };   /* 4095 bytes from near the end */
	put(&f->mem, TYPES + REGION - 3, big, sizeof(big));
	assert_int_equal(cw_go_name_read(&f->mem, TYPES + REGION - 3, &s), -EFAULT);
	/* an extra-star name that is empty */
	put_type(&f->mem, TYPES + 0x2c0, 8, CW_GO_TFLAG_EXTRA_STAR, CW_GOKIND_INT, 0x940, "");
	assert_int_equal(cw_go_type_name(&f->t, TYPES + 0x2c0, &s), -EBADMSG);
	assert_null(s);
}

static void test_methods(void **state)
{
	struct fixture *f = *state;
	/* *errors.errorString: a pointer type (uncommon after PtrType{Type, Elem}) */
	uint64_t ty = TYPES + 0x300;
	put_type(&f->mem, ty, 8, CW_GO_TFLAG_UNCOMMON | CW_GO_TFLAG_EXTRA_STAR, CW_GOKIND_POINTER, 0xa00,
		 "**errors.errorString");
	uint64_t u = ty + 48 + 8;
	put_u16(&f->mem, u + 4, 2);     /* mcount */
	put_u16(&f->mem, u + 6, 2);     /* xcount */
	put_u32(&f->mem, u + 8, 16);    /* moff */
	put_u32(&f->mem, u + 16, 0xa40);
	put_name(&f->mem, TYPES + 0xa40, "Error");
	put_u32(&f->mem, u + 32, 0xa60);
	put_name(&f->mem, TYPES + 0xa60, "Unwrap");
	assert_int_equal(cw_go_type_find_method(&f->t, ty, "Error"), 0);
	assert_int_equal(cw_go_type_find_method(&f->t, ty, "Unwrap"), 0);
	assert_int_equal(cw_go_type_find_method(&f->t, ty, "String"), -ENOENT);
	/* absurd method count */
	put_u16(&f->mem, u + 4, 60000);
	assert_int_equal(cw_go_type_find_method(&f->t, ty, "Error"), -EBADMSG);
	/* no uncommon type */
	put_type(&f->mem, TYPES + 0x380, 8, 0, CW_GOKIND_INT, 0xa80, "int");
	assert_int_equal(cw_go_type_find_method(&f->t, TYPES + 0x380, "Error"), -ENOENT);
}

static void expect_panic_value(struct fixture *f, int minor, uint64_t type, uint64_t data, const char *msg,
			 const char *tname)
{
	char *m = NULL, *t = NULL;
	f->t.go_minor = minor;
	assert_int_equal(cw_go_panic_value(&f->t, type, data, &m, &t), 0);
	assert_string_equal(m, msg);
	assert_string_equal(t, tname);
	free(m);
	free(t);
}

static void test_panic_values(void **state)
{
	struct fixture *f = *state;
	struct cw_mem *m = &f->mem;
	/* predeclared and named basic types */
	put_type(m, TYPES + 0x100, 8, CW_GO_TFLAG_NAMED, CW_GOKIND_INT, 0x800, "main.statusCode");
	put_type(m, TYPES + 0x140, 8, CW_GO_TFLAG_NAMED, CW_GOKIND_INT, 0x820, "int");
	put_type(m, TYPES + 0x180, 16, CW_GO_TFLAG_NAMED, CW_GOKIND_STRING, 0x840, "string");
	put_type(m, TYPES + 0x1c0, 16, CW_GO_TFLAG_NAMED, CW_GOKIND_STRING, 0x860, "main.reason");
	put_type(m, TYPES + 0x200, 8, CW_GO_TFLAG_NAMED, CW_GOKIND_FLOAT64, 0x880, "main.celsius");
	put_type(m, TYPES + 0x240, 16, CW_GO_TFLAG_NAMED, CW_GOKIND_COMPLEX128, 0x8a0, "complex128");
	put_type(m, TYPES + 0x280, 1, CW_GO_TFLAG_NAMED, CW_GOKIND_BOOL, 0x8c0, "main.flag");
	put_type(m, TYPES + 0x2c0, 24, CW_GO_TFLAG_NAMED | CW_GO_TFLAG_EXTRA_STAR, CW_GOKIND_STRUCT, 0x8e0,
		 "*main.incident");
	put_type(m, TYPES + 0x300, 1, CW_GO_TFLAG_NAMED, CW_GOKIND_INT8, 0x900, "int8");
	put_type(m, TYPES + 0x340, 8, CW_GO_TFLAG_NAMED, CW_GOKIND_UINT64, 0x920, "main.id");

	put_u64(m, DATA, 503);
	put_u64(m, DATA + 8, (uint64_t)-7);
	static const char text[] = "disk\nfull";
	put(m, DATA + 0x100, text, sizeof(text) - 1);
	put_u64(m, DATA + 0x20, DATA + 0x100);
	put_u64(m, DATA + 0x28, sizeof(text) - 1);
	double c = 1.5;
	put(m, DATA + 0x40, &c, 8);
	double cx[2] = { 1, -2 };
	put(m, DATA + 0x50, cx, 16);
	put(m, DATA + 0x60, &(uint8_t){ 1 }, 1);
	put(m, DATA + 0x61, &(uint8_t){ 0xfe }, 1);
	put_u64(m, DATA + 0x68, UINT64_MAX);

	expect_panic_value(f, 22, TYPES + 0x100, DATA, "main.statusCode(503)", "main.statusCode");
	expect_panic_value(f, 22, TYPES + 0x140, DATA + 8, "-7", "int");
	/* printindented from 1.23 */
	expect_panic_value(f, 22, TYPES + 0x180, DATA + 0x20, "disk\nfull", "string");
	expect_panic_value(f, 23, TYPES + 0x180, DATA + 0x20, "disk\n\tfull", "string");
	expect_panic_value(f, 21, TYPES + 0x1c0, DATA + 0x20, "main.reason(\"disk\nfull\")", "main.reason");
	expect_panic_value(f, 26, TYPES + 0x1c0, DATA + 0x20, "main.reason(\"disk\n\tfull\")", "main.reason");
	/* floats: the runtime's own format before 1.26, strconv's shortest after */
	expect_panic_value(f, 25, TYPES + 0x200, DATA + 0x40, "main.celsius(+1.500000e+000)", "main.celsius");
	expect_panic_value(f, 26, TYPES + 0x200, DATA + 0x40, "main.celsius(1.5)", "main.celsius");
	expect_panic_value(f, 18, TYPES + 0x240, DATA + 0x50, "(+1.000000e+000-2.000000e+000i)", "complex128");
	expect_panic_value(f, 26, TYPES + 0x240, DATA + 0x50, "(1-2i)", "complex128");
	expect_panic_value(f, 22, TYPES + 0x280, DATA + 0x60, "main.flag(true)", "main.flag");
	expect_panic_value(f, 22, TYPES + 0x300, DATA + 0x61, "-2", "int8");
	expect_panic_value(f, 22, TYPES + 0x340, DATA + 0x68, "main.id(18446744073709551615)", "main.id");
	/* other kinds: (T) data pointer */
	expect_panic_value(f, 22, TYPES + 0x2c0, DATA + 0x100, "(main.incident) 0x600100", "main.incident");
	/* nil */
	expect_panic_value(f, 22, 0, 0, "nil", "nil");

	char *msg = NULL, *t = NULL;
	assert_int_equal(cw_go_panic_value(&f->t, TYPES + 0x100, 0x10, &msg, &t), -EFAULT);
	assert_int_equal(cw_go_panic_value(&f->t, 0x10, DATA, &msg, &t), -ERANGE);
	assert_null(msg);
	assert_null(t);
}

static void expect_float(double v, bool is32, int minor, const char *want)
{
	char buf[64];
	struct cw_go_version ver = cw_go_version_or_minor(NULL, minor);
	cw_go_format_float(v, is32, cw_go_quirk(&ver, CW_GO_QUIRK_FLOAT_SHORTEST), buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void test_float_formats(void **state)
{
	(void)state;
	/* runtime.printfloat (1.18 .. 1.25) */
	expect_float(1.5, false, 25, "+1.500000e+000");
	expect_float(-0.0, false, 25, "-0.000000e+000");
	expect_float(0.0, false, 18, "+0.000000e+000");
	expect_float(451, false, 20, "+4.510000e+002");
	expect_float(1e-300, false, 20, "+1.000000e-300");
	expect_float(123456789.0, false, 20, "+1.234568e+008");
	expect_float(9.9999999, false, 20, "+1.000000e+001");
	expect_float(5e-324, false, 25, "+4.940656e-324");
	expect_float(123456.0, false, 25, "+1.234560e+005");
	expect_float(NAN, false, 20, "NaN");
	expect_float(-INFINITY, false, 20, "-Inf");
	expect_float(INFINITY, false, 26, "+Inf");
	/* strconv.FormatFloat(v, 'g', -1, 64|32) from 1.26 */
	expect_float(1.5, false, 26, "1.5");
	expect_float(-0.0, false, 26, "-0");
	expect_float(0.0, false, 26, "0");
	expect_float(451, false, 26, "451");
	expect_float(123456.0, false, 26, "123456");
	expect_float(1234567.0, false, 26, "1.234567e+06");
	expect_float(1e21, false, 26, "1e+21");
	expect_float(123456789.0, false, 26, "1.23456789e+08");
	expect_float(9.9999999, false, 26, "9.9999999");
	expect_float(0.0001, false, 26, "0.0001");
	expect_float(0.00001, false, 26, "1e-05");
	expect_float(0.1, false, 26, "0.1");
	expect_float(1.0 / 3.0, false, 26, "0.3333333333333333");
	expect_float(1e100, false, 26, "1e+100");
	expect_float(5e-324, false, 26, "5e-324");
	expect_float((double)0.1f, true, 26, "0.1");
	expect_float((double)3.4028235e38f, true, 26, "3.4028235e+38");
	char buf[96];
	cw_go_format_complex(0.5, NAN, false, true, buf, sizeof(buf));
	assert_string_equal(buf, "(0.5+NaNi)");
	cw_go_format_complex(0.5, INFINITY, false, false, buf, sizeof(buf));
	assert_string_equal(buf, "(+5.000000e-001+Infi)");
}

static void test_printed_string(void **state)
{
	(void)state;
	char *s = cw_go_printed_string("a\nb\n", 4, true);
	assert_string_equal(s, "a\n\tb\n\t");
	free(s);
	s = cw_go_printed_string("a\nb\n", 4, false);
	assert_string_equal(s, "a\nb\n");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kind_names),
		cmocka_unit_test_setup_teardown(test_type_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_descriptors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_methods, setup, teardown),
		cmocka_unit_test_setup_teardown(test_panic_values, setup, teardown),
		cmocka_unit_test(test_float_formats),
		cmocka_unit_test(test_printed_string),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
