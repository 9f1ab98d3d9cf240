/*
 * Conformance harness (issue 4, item 1), the checking half.
 *
 *   conformance entries     every entry trampoline, entered as the OS enters
 *                           it with every register holding a canary; the
 *                           dispatcher behind it (conform.S) clobbers every
 *                           register it may. After the return each register
 *                           the ABI oracle calls preserved must hold its
 *                           canary (in the preserved width), SP must be
 *                           back, the dispatcher must have run once with the
 *                           OS's arguments and the entry's kind, and where the
 *                           handler returns a value it must be the verdict.
 *   conformance sigresume   trampgen_sigresume entered with canaries in every
 *                           register and the target SP/PC in its two scratch
 *                           registers: at the target every other register,
 *                           the link register included, must be unchanged
 *                           and SP must be the target SP.
 *
 * Exit status 0 when every check holds, 1 otherwise; each failure is one line
 * naming the entry and the register.
 *
 * The program links the generated trampolines.S and nothing of runtime/:
 * conform.S provides the dispatcher. Which registers must survive comes from
 * conform_tables.h, written from the oracle's result (tables.py); this file
 * knows the ISA's register list and the OS's argument convention, never which
 * registers the target spec saves.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "trampgen_target.h"

enum { CONFORM_PRESERVED, CONFORM_VOLATILE, CONFORM_REFUSED };
struct conform_oracle_row {
	const char *reg;
	int status;
	int bits;
};
#include "conform_tables.h"

/* The tables conform.S exchanges registers through (slot order: the ISA's
   register list in spec/isa/). */
extern uintptr_t conform_in_int[40], conform_out_int[40];
extern unsigned char conform_in_vec[32][16], conform_out_vec[32][16];
extern uintptr_t conform_out_sp, conform_sp_before, conform_target;
extern uintptr_t conform_stack_args[4], conform_nstack;
extern uintptr_t conform_disp_count, conform_disp_sp, conform_disp_args[4];
void conform_call_entry(void);
void conform_sigresume_run(void);
void conform_resume_target(void);

#define VERDICT 0x7E57AB1Eu
#define NO_SLOT (-1)

/*
 * Per ISA: register names by slot (as spec/isa/ and GNU as spell them),
 * where SP is, the slots asm cannot load (left 0 / filled by asm), the
 * register conform.S calls the entry through, and the OS's argument
 * convention for a handler and for the dispatcher (the C ABI's first four
 * integer argument registers; x86 passes them on the stack).
 */
#if defined(__x86_64__)
static const char *const int_names[] = { "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };
static const char *const vec_names[] = { "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6",
	"xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15" };
#define VEC_BYTES 16
#define SP_SLOT 7
#define RET_SLOT 0
#define CALL_SLOT NO_SLOT /* called through conform_target */
#ifdef CONFORM_WIN64
/* Microsoft x64: rcx, rdx, r8, r9. */
static const int arg_slots[] = { 2, 3, 8, 9 };
#else
/* System V AMD64 psABI 3.2.3: rdi, rsi, rdx, rcx. */
static const int arg_slots[] = { 5, 4, 3, 2 };
#endif
/* At any call SP + 8 (the pushed return address) is 16-aligned in both. */
#define CALL_ALIGN 16
#define PUSHED_RETURN 8
#elif defined(__i386__)
static const char *const int_names[] = { "eax", "ebx", "ecx", "edx", "esi", "edi", "ebp", "esp" };
static const char *const vec_names[] = { 0 };
#define VEC_BYTES 0
#define SP_SLOT 7
#define RET_SLOT 0
#define CALL_SLOT NO_SLOT
#define ARGS_ON_STACK 1
#ifdef CONFORM_WINDOWS
#define CALL_ALIGN 4 /* Win32 promises 4-byte stack alignment */
#else
#define CALL_ALIGN 16 /* i386 System V psABI (as gcc and glibc use it) */
#endif
#define PUSHED_RETURN 4
#elif defined(__aarch64__)
static const char *const int_names[] = { "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8",
	"x9", "x10", "x11", "x12", "x13", "x14", "x15", "x16", "x17", "x18", "x19", "x20", "x21",
	"x22", "x23", "x24", "x25", "x26", "x27", "x28", "x29", "x30", "sp" };
/* The spec's save unit is the d view; conform.S moves all 128 bits (q). */
static const char *const vec_names[] = { "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8",
	"v9", "v10", "v11", "v12", "v13", "v14", "v15", "v16", "v17", "v18", "v19", "v20", "v21",
	"v22", "v23", "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31" };
#define VEC_BYTES 16
#define SP_SLOT 31
#define RET_SLOT 0
#define CALL_SLOT 9
static const int arg_slots[] = { 0, 1, 2, 3 };
#define CALL_ALIGN 16
#define PUSHED_RETURN 0
#elif defined(__arm__)
static const char *const int_names[] = { "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8",
	"r9", "r10", "r11", "r12", "sp", "lr" };
static const char *const vec_names[] = { "d0", "d1", "d2", "d3", "d4", "d5", "d6", "d7", "d8",
	"d9", "d10", "d11", "d12", "d13", "d14", "d15" };
#define VEC_BYTES 8
#define SP_SLOT 13
#define RET_SLOT 0
#define CALL_SLOT 12
static const int arg_slots[] = { 0, 1, 2, 3 };
#define CALL_ALIGN 8
#define PUSHED_RETURN 0
#elif defined(__riscv) && __riscv_xlen == 64
static const char *const int_names[] = { "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0",
	"s1", "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7",
	"s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6" };
static const char *const vec_names[] = { "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7",
	"fs0", "fs1", "fa0", "fa1", "fa2", "fa3", "fa4", "fa5", "fa6", "fa7", "fs2", "fs3", "fs4",
	"fs5", "fs6", "fs7", "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11" };
#define VEC_BYTES 8
#define SP_SLOT 2
#define RET_SLOT 10
#define CALL_SLOT 7
/* zero cannot be loaded; conform.S writes gp's and tp's real values into
   their slots (they belong to the C runtime) before loading the rest. */
#define ZERO_SLOT 0
static const int arg_slots[] = { 10, 11, 12, 13 };
#define CALL_ALIGN 16
#define PUSHED_RETURN 0
#else
#error "conform.c: no register tables for this ISA"
#endif

#define N_INT ((int)(sizeof int_names / sizeof int_names[0]))
#define N_VEC (VEC_BYTES ? (int)(sizeof vec_names / sizeof vec_names[0]) : 0)

/* A register named by the oracle: a slot and the bits of it that count. */
struct reg {
	int vec;   /* 0: integer slot, 1: vector slot */
	int slot;
	int shift; /* first bit within the slot */
};

static int lookup(const char *const *names, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (names[i] && strcmp(names[i], name) == 0)
			return i;
	return NO_SLOT;
}

/* The oracle may spell a register as its compiler does; accept the other
   names of the same architectural register. */
static int find_reg(const char *name, struct reg *r)
{
	char c;
	unsigned n;
	r->shift = 0;
	if ((r->slot = lookup(int_names, N_INT, name)) != NO_SLOT) {
		r->vec = 0;
		return 0;
	}
	if ((r->slot = lookup(vec_names, N_VEC, name)) != NO_SLOT) {
		r->vec = 1;
		return 0;
	}
	r->vec = 0;
#if defined(__x86_64__)
	if (sscanf(name, "%cmm%u", &c, &n) == 2 && (c == 'y' || c == 'z') && n < 16) {
		r->vec = 1;
		r->slot = (int)n;
		return 0;
	}
#elif defined(__aarch64__)
	if (sscanf(name, "%c%u", &c, &n) == 2 && n < 32) {
		if (c == 'w') {
			r->slot = (int)n;
			return 0;
		}
		if (c == 'd' || c == 'q' || c == 's' || c == 'h' || c == 'b') {
			r->vec = 1;
			r->slot = (int)n;
			return 0;
		}
	}
	if (strcmp(name, "fp") == 0 || strcmp(name, "lr") == 0) {
		r->slot = name[0] == 'f' ? 29 : 30;
		return 0;
	}
#elif defined(__arm__)
	if (sscanf(name, "s%u", &n) == 1 && n < 32) {
		r->vec = 1;
		r->slot = (int)n / 2;
		r->shift = (int)(n % 2) * 32;
		return 0;
	}
	if (strcmp(name, "ip") == 0 || strcmp(name, "r13") == 0 || strcmp(name, "r14") == 0) {
		r->slot = name[0] == 'i' ? 12 : (name[2] == '3' ? 13 : 14);
		return 0;
	}
	(void)c;
#elif defined(__riscv)
	if (sscanf(name, "%c%u", &c, &n) == 2 && n < 32 && (c == 'x' || c == 'f')) {
		r->vec = c == 'f';
		r->slot = (int)n;
		return 0;
	}
	if (strcmp(name, "fp") == 0) {
		r->slot = 8;
		return 0;
	}
#else
	(void)c;
	(void)n;
#endif
	return -1;
}

static int is_sp(const struct reg *r) { return !r->vec && r->slot == SP_SLOT; }

/* Distinct canaries: the slot number is in every one, and none looks like
   the dispatcher's clobber pattern (0xD15E..., all 0xD1 bytes, -1.5). */
static uintptr_t int_canary(int i)
{
	uint64_t v = 0xCA7A000000000000ull | (uint64_t)(i + 1) << 32 | (0xC0DE0000u + (unsigned)i);
	return sizeof(uintptr_t) == 8 ? (uintptr_t)v : (uintptr_t)(0xCA000C00u | (unsigned)(i + 1) << 16 | (unsigned)i);
}

static void fill_canaries(void)
{
	for (int i = 0; i < 40; i++)
		conform_in_int[i] = i < N_INT ? int_canary(i) : 0;
	conform_in_int[SP_SLOT] = 0;
#ifdef ZERO_SLOT
	conform_in_int[ZERO_SLOT] = 0;
#endif
	for (int i = 0; i < 32; i++)
		for (int b = 0; b < 16; b++)
			conform_in_vec[i][b] = (unsigned char)(b == 7 || b == 15 ? 0x3C : (i * 7 + b * 13 + 1));
	memset(conform_out_int, 0x55, sizeof conform_out_int);
	memset(conform_out_vec, 0x55, sizeof conform_out_vec);
	conform_out_sp = 0;
}

/* Bits [shift, shift+bits) of a little-endian slot, as a hex string. */
static void hex_bits(char *buf, const unsigned char *p, int shift, int bits)
{
	buf[0] = 0;
	for (int byte = (shift + bits) / 8 - 1; byte >= shift / 8; byte--)
		sprintf(buf + strlen(buf), "%02x", p[byte]);
}

static int failures;

static void fail(const char *where, const char *fmt, const char *a, const char *b, const char *c)
{
	printf("FAIL %s: ", where);
	printf(fmt, a, b, c);
	printf("\n");
	failures++;
}

/* Compares one oracle-named register's bits before and after. */
static int same(const struct reg *r, int bits, char *was, char *is)
{
	const unsigned char *in, *out;
	int width;
	if (r->vec) {
		in = conform_in_vec[r->slot];
		out = conform_out_vec[r->slot];
		width = VEC_BYTES * 8;
	} else {
		in = (const unsigned char *)&conform_in_int[r->slot];
		out = (const unsigned char *)&conform_out_int[r->slot];
		width = (int)sizeof(uintptr_t) * 8;
	}
	if (bits > width - r->shift)
		bits = width - r->shift; /* e.g. ymm upper halves: not ours to load */
	hex_bits(was, in, r->shift, bits);
	hex_bits(is, out, r->shift, bits);
	return strcmp(was, is) == 0;
}

struct entry {
	const char *name;
	uintptr_t address;
	intptr_t kind;
};

#define X(name, kind) { "trampgen_" #name, (uintptr_t)&trampgen_##name, TRAMPGEN_KIND_##kind },
static const struct entry entries[] = { CONFORM_ENTRIES };
#undef X

static int run_entries(void)
{
	int n_oracle = (int)(sizeof conform_oracle / sizeof conform_oracle[0]);
	struct reg regs[sizeof conform_oracle / sizeof conform_oracle[0]];
	char was[80], is[80], buf[80];

	/* Only registers that must survive need a slot here; the oracle also
	   lists ones this harness does not move (thumb2's cpsr), which is fine
	   as long as nothing requires them back. */
	for (int k = 0; k < n_oracle; k++)
		if (find_reg(conform_oracle[k].reg, &regs[k]) != 0) {
			regs[k].slot = NO_SLOT;
			if (conform_oracle[k].status == CONFORM_PRESERVED)
				fail("oracle", "says %s is preserved, but this harness cannot load or read it%s%s",
				     conform_oracle[k].reg, "", "");
		}
	if (failures)
		return 1;

	for (size_t e = 0; e < sizeof entries / sizeof entries[0]; e++) {
		const struct entry *en = &entries[e];
		uintptr_t args[CONFORM_HANDLER_NARGS];
		int checked = 0;

		fill_canaries();
		for (int a = 0; a < CONFORM_HANDLER_NARGS; a++) {
			args[a] = (uintptr_t)(0xA7A90000u + 0x111u * (unsigned)(a + 1)); /* distinctive, never dereferenced */
#ifdef ARGS_ON_STACK
			conform_stack_args[a] = args[a];
#else
			conform_in_int[arg_slots[a]] = args[a];
#endif
		}
#ifdef ARGS_ON_STACK
		conform_nstack = CONFORM_HANDLER_NARGS;
#endif
		conform_target = en->address;
#if CALL_SLOT != NO_SLOT
		conform_in_int[CALL_SLOT] = en->address; /* conform.S calls through this register */
#endif
		conform_disp_count = 0;
		memset(conform_disp_args, 0, sizeof conform_disp_args);

		conform_call_entry();

		/* The dispatcher: once, with the OS's arguments and this entry's kind. */
		if (conform_disp_count != 1) {
			sprintf(buf, "%" PRIuPTR, conform_disp_count);
			fail(en->name, "the dispatcher ran %s time(s), not once%s%s", buf, "", "");
		} else {
			for (int a = 0; a < CONFORM_HANDLER_NARGS; a++)
				if (conform_disp_args[a] != args[a]) {
					sprintf(was, "%d", a);
					sprintf(is, "0x%" PRIxPTR, conform_disp_args[a]);
					sprintf(buf, "0x%" PRIxPTR, args[a]);
					fail(en->name, "dispatcher argument %s arrived as %s, not the OS's %s", was, is, buf);
				}
			if ((intptr_t)conform_disp_args[CONFORM_HANDLER_NARGS] != en->kind) {
				sprintf(was, "%" PRIdPTR, (intptr_t)conform_disp_args[CONFORM_HANDLER_NARGS]);
				sprintf(is, "%" PRIdPTR, en->kind);
				fail(en->name, "the dispatcher got kind %s, not %s%s", was, is, "");
			}
			if ((conform_disp_sp + PUSHED_RETURN) % CALL_ALIGN != 0) {
				sprintf(was, "0x%" PRIxPTR, conform_disp_sp);
				sprintf(is, "%d", CALL_ALIGN);
				fail(en->name, "the dispatcher was called with SP %s, not %s-byte aligned%s", was, is, "");
			}
		}

		/* SP back where the OS expects it (stdcall: its argument popped). */
		if (conform_out_sp != conform_sp_before) {
			sprintf(was, "0x%" PRIxPTR, conform_sp_before);
			sprintf(is, "0x%" PRIxPTR, conform_out_sp);
			fail(en->name, "SP came back as %s, not %s%s", is, was, "");
		}

		/* Every register the oracle calls preserved holds its canary. */
		for (int k = 0; k < n_oracle; k++) {
			if (conform_oracle[k].status != CONFORM_PRESERVED || regs[k].slot == NO_SLOT || is_sp(&regs[k]))
				continue;
			checked++;
			if (!same(&regs[k], conform_oracle[k].bits, was, is)) {
				sprintf(buf, "%s (%d bits)", conform_oracle[k].reg, conform_oracle[k].bits);
				fail(en->name, "%s is preserved by the ABI but came back 0x%s, not its canary 0x%s", buf, is, was);
			}
		}

#if CONFORM_HANDLER_RETURNS
		if ((uint32_t)conform_out_int[RET_SLOT] != VERDICT) {
			sprintf(was, "0x%08" PRIx32, (uint32_t)conform_out_int[RET_SLOT]);
			sprintf(is, "0x%08x", VERDICT);
			fail(en->name, "returned %s in %s, not the dispatcher's verdict %s", was, int_names[RET_SLOT], is);
		}
#endif
		printf("%s %s: kind %" PRIdPTR ", %d preserved registers checked, SP%s\n",
		       failures ? "checked" : "ok", en->name, en->kind, checked,
		       CONFORM_HANDLER_RETURNS ? ", verdict" : "");
	}
	return failures != 0;
}

static uintptr_t resume_stack[512];

static int run_sigresume(void)
{
	struct reg sp_reg, pc_reg;
	char was[80], is[80];
	/* A stack of its own, so that arriving on it proves SP was loaded. */
	uintptr_t target_sp = ((uintptr_t)&resume_stack[384]) & ~(uintptr_t)15;
	int checked = 0;

	if (find_reg(TRAMPGEN_RESUME_SP_REGISTER, &sp_reg) != 0 || sp_reg.vec ||
	    find_reg(TRAMPGEN_RESUME_PC_REGISTER, &pc_reg) != 0 || pc_reg.vec) {
		fail("trampgen_sigresume", "the scratch registers %s and %s are not integer registers of this ISA%s",
		     TRAMPGEN_RESUME_SP_REGISTER, TRAMPGEN_RESUME_PC_REGISTER, "");
		return 1;
	}
	fill_canaries();
	conform_in_int[sp_reg.slot] = target_sp;
	conform_in_int[pc_reg.slot] = (uintptr_t)&conform_resume_target;

	conform_sigresume_run();

	if (conform_out_sp != target_sp) {
		sprintf(was, "0x%" PRIxPTR, target_sp);
		sprintf(is, "0x%" PRIxPTR, conform_out_sp);
		fail("trampgen_sigresume", "arrived with SP %s, not the target SP %s%s", is, was, "");
	}
	for (int i = 0; i < N_INT; i++) {
		struct reg r = { 0, i, 0 };
		if (i == SP_SLOT || i == sp_reg.slot || i == pc_reg.slot)
			continue;
		checked++;
		if (!same(&r, (int)sizeof(uintptr_t) * 8, was, is))
			fail("trampgen_sigresume", "%s arrived as 0x%s, not unchanged 0x%s", int_names[i], is, was);
	}
	for (int i = 0; i < N_VEC; i++) {
		struct reg r = { 1, i, 0 };
		checked++;
		if (!same(&r, VEC_BYTES * 8, was, is))
			fail("trampgen_sigresume", "%s arrived as 0x%s, not unchanged 0x%s", vec_names[i], is, was);
	}
	printf("%s trampgen_sigresume: SP from %s, PC from %s, %d other registers unchanged\n",
	       failures ? "checked" : "ok", TRAMPGEN_RESUME_SP_REGISTER, TRAMPGEN_RESUME_PC_REGISTER, checked);
	return failures != 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc == 2 && strcmp(argv[1], "entries") == 0)
		return run_entries();
	if (argc == 2 && strcmp(argv[1], "sigresume") == 0)
		return run_sigresume();
	fprintf(stderr, "usage: %s entries|sigresume\n", argv[0]);
	return 2;
}
