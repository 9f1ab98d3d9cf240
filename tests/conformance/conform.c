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
 * conform_tables.h, written from the oracle's result (tables.py); the slots
 * and the OS's argument convention come from conform_isa.h (the spec, through
 * conform_isa.h.j2). Nothing here knows an ISA, or which registers the target
 * spec saves.
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

/* The slots, the register roles and the OS's conventions, from the spec
   (conform_isa.h, rendered from conform_isa.h.j2 by the same roles as
   conform.S). */
#include "conform_isa.h"

/* The tables conform.S exchanges registers through (slot order: the ISA's
   register list in spec/isa/). */
extern uintptr_t conform_in_int[N_INT], conform_out_int[N_INT], conform_clobber_int[N_INT];
extern unsigned char conform_in_vec[VEC_SLOTS][VEC_SLOT_BYTES], conform_out_vec[VEC_SLOTS][VEC_SLOT_BYTES];
extern unsigned char conform_clobber_vec[VEC_SLOTS][VEC_SLOT_BYTES];
extern uintptr_t conform_out_sp, conform_call_sp, conform_sp_before, conform_stack_args[];
extern uintptr_t conform_disp_count, conform_disp_prev, conform_disp_mark, conform_disp_sp, conform_disp_args[DISP_ARGS];
extern uintptr_t conform_verdict;
void conform_call_entry(void);
void conform_sigresume_run(void);
void conform_resume_target(void);

#define VERDICT 0x7E57AB1Eu
#define NO_SLOT (-1)

/* A register named by the oracle (in the spec's own names): a slot. */
struct reg {
	int vec;   /* 0: integer slot, 1: vector slot */
	int slot;
};

static int lookup(const char *const *names, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (names[i] && strcmp(names[i], name) == 0)
			return i;
	return NO_SLOT;
}

static int find_reg(const char *name, struct reg *r)
{
	if ((r->slot = lookup(int_names, N_INT, name)) != NO_SLOT) {
		r->vec = 0;
		return 0;
	}
	if ((r->slot = lookup(vec_names, N_VEC, name)) != NO_SLOT) {
		r->vec = 1;
		return 0;
	}
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
	for (int i = 0; i < N_INT; i++) {
		conform_in_int[i] = int_canary(i);
		/* The dispatcher's values: 0xD15E... in every slot (none is a canary). */
		conform_clobber_int[i] = (uintptr_t)0xD15EA5EDD15EA5EDull;
	}
	conform_in_int[SP_SLOT] = 0;
	for (int i = 0; i < VEC_SLOTS; i++)
		for (int b = 0; b < VEC_SLOT_BYTES; b++) {
			conform_in_vec[i][b] = (unsigned char)(b % 8 == 7 ? 0x3C : (i * 7 + b * 13 + 1));
			conform_clobber_vec[i][b] = 0xD1;
		}
	memset(conform_out_int, 0x55, sizeof conform_out_int);
	memset(conform_out_vec, 0x55, sizeof conform_out_vec);
	conform_out_sp = 0;
	conform_verdict = VERDICT;
	conform_disp_mark = 1;
	conform_disp_count = 0;
	conform_disp_prev = 0;
}

/* The low `bits` of a slot of `size` bytes (the ISA's byte order), as a hex string. */
static void hex_bits(char *buf, const unsigned char *p, int size, int bits)
{
	buf[0] = 0;
	for (int k = bits / 8 - 1; k >= 0; k--)
		sprintf(buf + strlen(buf), "%02x", p[CONFORM_BIG_ENDIAN ? size - 1 - k : k]);
}

static int failures;

static void fail(const char *where, const char *fmt, const char *a, const char *b, const char *c)
{
	printf("FAIL %s: ", where);
	printf(fmt, a, b, c);
	printf("\n");
	failures++;
}

/* Compares the low `bits` of one register's slot before and after. */
static int same(const struct reg *r, int bits, char *was, char *is)
{
	const unsigned char *in, *out;
	int size;
	if (r->vec) {
		in = conform_in_vec[r->slot];
		out = conform_out_vec[r->slot];
		size = VEC_BYTES;
	} else {
		in = (const unsigned char *)&conform_in_int[r->slot];
		out = (const unsigned char *)&conform_out_int[r->slot];
		size = (int)sizeof(uintptr_t);
	}
	if (bits > size * 8)
		bits = size * 8; /* e.g. ymm upper halves: not ours to load */
	hex_bits(was, in, size, bits);
	hex_bits(is, out, size, bits);
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

static uintptr_t entry_stack[2048];

static int run_entries(void)
{
	int n_oracle = (int)(sizeof conform_oracle / sizeof conform_oracle[0]);
	struct reg regs[sizeof conform_oracle / sizeof conform_oracle[0]];
	char was[80], is[80], buf[80];

	/* Only registers that must survive need a slot here; the oracle also
	   lists ones this harness does not move (a status register), which is fine
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
			if (a < NREG_ARGS)
				conform_in_int[arg_slots[a]] = args[a];
			else
				conform_stack_args[a - NREG_ARGS] = args[a];
		}
		conform_in_int[CALL_SLOT] = en->address; /* conform.S calls through this register */
		/* The OS calls a handler on a stack aligned to the ABI's alignment
		   (abi.stack_alignment), and so does conform.S, on this one. */
		conform_call_sp = (((uintptr_t)&entry_stack[sizeof entry_stack / sizeof entry_stack[0]]) &
		                   ~(uintptr_t)(CALL_ALIGN - 1)) - TRAMPGEN_STACK_BIAS;   /* what SP holds */
		memset(conform_disp_args, 0, sizeof conform_disp_args);

		conform_call_entry();

		/* The dispatcher: once, with the OS's arguments and this entry's kind. */
		if (conform_disp_count != 1 || conform_disp_prev != 0) {
			fail(en->name, "the dispatcher ran %s, not once%s%s",
			     conform_disp_count == 0 ? "never" : "more than once", "", "");
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
			if ((conform_disp_sp + TRAMPGEN_STACK_BIAS + PUSHED_RETURN) % CALL_ALIGN != 0) {
				sprintf(was, "0x%" PRIxPTR, conform_disp_sp);
				sprintf(is, "%d", CALL_ALIGN);
				fail(en->name, "the dispatcher was called with SP %s, not %s-byte aligned%s", was, is, "");
			}
		}

		/* SP back where the OS expects it (a handler that pops its stack
		   arguments, abi.handler_callee_pops: above them). */
		if (conform_out_sp != conform_sp_before + HANDLER_POPS) {
			sprintf(was, "0x%" PRIxPTR, conform_sp_before + HANDLER_POPS);
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
	uintptr_t target_sp = (((uintptr_t)&resume_stack[384]) & ~(uintptr_t)15) - TRAMPGEN_STACK_BIAS;   /* what SP holds */
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
		struct reg r = { 0, i };
		if (i == SP_SLOT || i == sp_reg.slot || i == pc_reg.slot)
			continue;
		checked++;
		if (!same(&r, (int)sizeof(uintptr_t) * 8, was, is))
			fail("trampgen_sigresume", "%s arrived as 0x%s, not unchanged 0x%s", int_names[i], is, was);
	}
	for (int i = 0; i < N_VEC; i++) {
		struct reg r = { 1, i };
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
