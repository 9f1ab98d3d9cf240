/*
 * The fault suite: one program, built for every target, one scenario per
 * run (`suite NAME`; `suite` alone lists them). Each scenario raises a real
 * fault on its ISA and checks what the handler saw and where execution went.
 *
 * Exit status: 0 passed, 1 failed, 77 not applicable here (the reason is
 * printed; CTest reports it as skipped, never as passed).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "platform.h"
#include "trampgen.h"

#if defined(TRAMPGEN_KIND_VEH)
#define FAULT_KIND TRAMPGEN_KIND_VEH      /* Windows: the vectored exception handler */
#else
#define FAULT_KIND TRAMPGEN_KIND_SIGNAL   /* POSIX: the signal handler */
#endif
#define INJECT_ARG ((uintptr_t)0x5eed1234u)
#define NOT_APPLICABLE 77

static int failures;

#define CHECK(cond, ...)                                                        \
	do {                                                                    \
		if (cond) {                                                     \
			printf("  ok   %s\n", #cond);                           \
		} else {                                                        \
			failures++;                                             \
			printf("  FAIL %s (line %d): ", #cond, __LINE__);       \
			printf(__VA_ARGS__);                                    \
			printf("\n");                                           \
		}                                                               \
	} while (0)

/* ---- faulting operations ------------------------------------------------ */

#define NOINLINE __attribute__((noinline))

NOINLINE static int read_at(volatile int *p) { return *p; }
NOINLINE static void write_at(volatile int *p, int v) { *p = v; }
#if defined(__x86_64__) || defined(__i386__)
NOINLINE static int divide(volatile int a, volatile int b) { return a / b; }
#endif
static volatile int sink;           /* keeps pure-looking calls from being dropped */

NOINLINE static void breakpoint(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__asm__ volatile("int3");
#elif defined(__aarch64__)
	__asm__ volatile("brk #0xf000");
#elif defined(__arm__)
	__asm__ volatile("bkpt #0");
#endif
}

NOINLINE static void illegal(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__asm__ volatile("ud2");
#elif defined(__aarch64__) || defined(__arm__)
	__asm__ volatile("udf #0");
#endif
}

/* ---- what the handlers saw ------------------------------------------------ */

static struct {
	int calls;                    /* FAULT_KIND handler calls */
	int kind;
	trampgen_fault_class cls;
	uintptr_t pc, address, fault_sp;
	uintptr_t injected_sp;
	int ctx_pc_is_fault_pc;
#ifdef TRAMPGEN_KIND_FIRST_VCH
	int first_vch_calls, last_vch_calls, first_vch_kind, last_vch_kind;
	uintptr_t first_vch_pc, first_vch_sp, last_vch_pc, last_vch_sp;
#endif
	int next_calls;
	uintptr_t next_pc;
	int recovered;
	uintptr_t recovery_arg;
	uintptr_t recovery_local;
} seen;

static void *jump_back[5];           /* __builtin_setjmp: no unwinding, no signal mask games */
static void (*landing_check)(void);

/* Where an injected call ends up (through capture_entry). */
void TRAMPGEN_ABI_CC recovery(uintptr_t arg)
{
	volatile char local;

	seen.recovered++;
	seen.recovery_arg = arg;
	seen.recovery_local = (uintptr_t)&local;
	__builtin_longjmp(jump_back, 1);
}

static trampgen_verdict inject_recovery(trampgen_fault *f, void *user)
{
	(void)user;
	seen.calls++;
	seen.kind = f->kind;
	seen.cls = f->fault_class;
	seen.pc = f->pc;
	seen.address = f->address;
	seen.fault_sp = trampgen_context_sp(f->context);
	seen.ctx_pc_is_fault_pc = trampgen_context_pc(f->context) == f->pc;
	trampgen_inject_call(f->context, (uintptr_t)capture_entry, INJECT_ARG);
	seen.injected_sp = trampgen_context_sp(f->context);
	return TRAMPGEN_CONTINUE_EXECUTION;
}

#ifdef TRAMPGEN_KIND_FIRST_VCH
/* Continue handlers run after the exception handler asked to continue,
   in order, until one returns CONTINUE_EXECUTION. The first declines; the
   last asks to continue again with the context already at sigresume: the
   dispatcher must leave the SP and PC the first routing saved alone. */
static trampgen_verdict on_continue(trampgen_fault *f, void *user)
{
	(void)user;
	if (f->kind == TRAMPGEN_KIND_FIRST_VCH) {
		seen.first_vch_calls++;
		seen.first_vch_kind = f->kind;
		seen.first_vch_pc = trampgen_context_pc(f->context);
		seen.first_vch_sp = trampgen_context_sp(f->context);
	} else {
		seen.last_vch_calls++;
		seen.last_vch_kind = f->kind;
		seen.last_vch_pc = trampgen_context_pc(f->context);
		seen.last_vch_sp = trampgen_context_sp(f->context);
		return TRAMPGEN_CONTINUE_EXECUTION;
	}
	return TRAMPGEN_CONTINUE_SEARCH;
}
#endif

static char system_stack[64 * 1024] __attribute__((aligned(64)));

static void attach(void)
{
	if (trampgen_attach(system_stack, sizeof system_stack) != 0) {
		printf("FAIL trampgen_attach\n");
		exit(1);
	}
}

/* ---- inject-call scenarios ---------------------------------------------- */

static int check_injected(trampgen_fault_class cls, int check_address, uintptr_t address)
{
	uintptr_t tag = TRAMPGEN_CODE_ADDRESS_TAG;
	uintptr_t entry_misalign = TRAMPGEN_HAS_LINK_REGISTER ? 0 : TRAMPGEN_WORD_BYTES;
	uintptr_t sys_top = trampgen_system_stack_top();
	int found_sp = 0, found_pc = 0;
	uintptr_t scratch_sp = capture_register(TRAMPGEN_RESUME_SP_REGISTER, &found_sp);
	uintptr_t scratch_pc = capture_register(TRAMPGEN_RESUME_PC_REGISTER, &found_pc);

	CHECK(seen.calls == 1, "handler ran %d times", seen.calls);
	CHECK(seen.kind == FAULT_KIND, "kind %d", seen.kind);
	CHECK(seen.cls == cls, "fault class %d, expected %d", seen.cls, cls);
	CHECK(seen.ctx_pc_is_fault_pc, "fault->pc differs from the context PC");
	if (check_address)
		CHECK(seen.address == address, "fault address %#lx, expected %#lx",
		      (unsigned long)seen.address, (unsigned long)address);
	CHECK(seen.recovered == 1, "recovery ran %d times", seen.recovered);
	CHECK(seen.recovery_arg == INJECT_ARG, "recovery argument %#lx", (unsigned long)seen.recovery_arg);
	/* The injected call looks like a call from the faulting instruction. */
	CHECK((capture_ret & ~tag) == (seen.pc & ~tag), "return address %#lx, faulting PC %#lx",
	      (unsigned long)capture_ret, (unsigned long)seen.pc);
	if (tag)
		CHECK(capture_ret & tag, "return address %#lx lacks the instruction-set tag", (unsigned long)capture_ret);
	CHECK(capture_sp == seen.injected_sp, "entry SP %#lx, injected %#lx",
	      (unsigned long)capture_sp, (unsigned long)seen.injected_sp);
	CHECK((capture_sp + entry_misalign) % TRAMPGEN_STACK_ALIGNMENT == 0,
	      "entry SP %#lx is not aligned as a call leaves it", (unsigned long)capture_sp);
	/* ... on the stack the fault happened on, just below the faulting SP. */
	CHECK(capture_sp <= seen.fault_sp && seen.fault_sp - capture_sp <= TRAMPGEN_RED_ZONE + 128,
	      "entry SP %#lx, faulting SP %#lx", (unsigned long)capture_sp, (unsigned long)seen.fault_sp);
	CHECK(seen.recovery_local < capture_sp && capture_sp - seen.recovery_local < 4096,
	      "recovery frame at %#lx", (unsigned long)seen.recovery_local);
	CHECK(!(seen.recovery_local >= (uintptr_t)system_stack && seen.recovery_local < sys_top),
	      "recovery ran on the system stack");
	/* ... having passed through sigresume: its scratch registers still hold
	   the SP it loaded and the PC it jumped to. */
	CHECK(found_sp && found_pc, "no capture slot for %s/%s", TRAMPGEN_RESUME_SP_REGISTER, TRAMPGEN_RESUME_PC_REGISTER);
	CHECK(scratch_sp == capture_sp, "%s = %#lx on arrival", TRAMPGEN_RESUME_SP_REGISTER, (unsigned long)scratch_sp);
	CHECK((scratch_pc & ~tag) == ((uintptr_t)capture_entry & ~tag), "%s = %#lx on arrival",
	      TRAMPGEN_RESUME_PC_REGISTER, (unsigned long)scratch_pc);
	return 0;
}

static void setup_inject(void)
{
	attach();
	trampgen_set_handler(FAULT_KIND, inject_recovery, NULL);
#ifdef TRAMPGEN_KIND_FIRST_VCH
	trampgen_set_handler(TRAMPGEN_KIND_FIRST_VCH, on_continue, NULL);
	trampgen_set_handler(TRAMPGEN_KIND_LAST_VCH, on_continue, NULL);
#endif
}

static int scenario_null_read(void)
{
	setup_inject();
	if (__builtin_setjmp(jump_back) == 0) {
		sink = read_at((volatile int *)0);
		printf("  FAIL the null read did not fault\n");
		return 1;
	}
	return check_injected(TRAMPGEN_FAULT_ACCESS, 1, 0);
}

static int scenario_null_write(void)
{
	setup_inject();
	if (__builtin_setjmp(jump_back) == 0) {
		write_at((volatile int *)16, 1);
		printf("  FAIL the write did not fault\n");
		return 1;
	}
	return check_injected(TRAMPGEN_FAULT_ACCESS, 1, 16);
}

static int scenario_divide_by_zero(void)
{
#if defined(__x86_64__) || defined(__i386__)
	setup_inject();
	if (__builtin_setjmp(jump_back) == 0) {
		sink = divide(1, 0);
		printf("  FAIL the division did not fault\n");
		return 1;
	}
	return check_injected(TRAMPGEN_FAULT_DIVIDE, 0, 0);
#else
	printf("not applicable on this ISA: integer division by zero does not trap (it yields 0)\n");
	return NOT_APPLICABLE;
#endif
}

static int scenario_breakpoint(void)
{
	setup_inject();
	if (__builtin_setjmp(jump_back) == 0) {
		breakpoint();
		printf("  FAIL the breakpoint did not trap\n");
		return 1;
	}
	return check_injected(TRAMPGEN_FAULT_BREAKPOINT, 0, 0);
}

static int scenario_illegal_instruction(void)
{
	setup_inject();
	if (__builtin_setjmp(jump_back) == 0) {
		illegal();
		printf("  FAIL the undefined instruction did not trap\n");
		return 1;
	}
	return check_injected(TRAMPGEN_FAULT_ILLEGAL, 0, 0);
}

/* ---- continue handlers --------------------------------------------------- */

#ifdef TRAMPGEN_KIND_FIRST_VCH
static int order[3], norder;

static trampgen_verdict note_and_decline(trampgen_fault *f, void *user)
{
	(void)user;
	if (norder < 3)
		order[norder++] = f->kind;
	return TRAMPGEN_CONTINUE_SEARCH;
}

static trampgen_verdict note_and_inject(trampgen_fault *f, void *user)
{
	if (norder < 3)
		order[norder++] = f->kind;
	seen.calls = 0;
	return inject_recovery(f, user);
}

/*
 * An OS that never calls continue handlers still calls exception handlers:
 * with the continue entries registered as the last two of those, each entry
 * trampoline is called by the OS for a real fault, and each kind must reach
 * its own handler: VEH and FIRST_VCH decline, LAST_VCH recovers.
 */
static int continue_entries_as_exception_handlers(const char *missing)
{
	printf("  note: %s;\n  the continue entries are called as trailing exception handlers instead\n", missing);
	platform_set_next_handler(NULL);
	if (platform_add_last_exception_handler((void *)trampgen_firstcontinuetramp) != 0 ||
	    platform_add_last_exception_handler((void *)trampgen_lastcontinuetramp) != 0) {
		printf("  FAIL cannot register the continue entries\n");
		return 1;
	}
	memset(&seen, 0, sizeof seen);
	trampgen_set_handler(FAULT_KIND, note_and_decline, NULL);
	trampgen_set_handler(TRAMPGEN_KIND_FIRST_VCH, note_and_decline, NULL);
	trampgen_set_handler(TRAMPGEN_KIND_LAST_VCH, note_and_inject, NULL);
	if (__builtin_setjmp(jump_back) == 0) {
		sink = read_at((volatile int *)0);
		printf("  FAIL the null read did not fault\n");
		return 1;
	}
	CHECK(norder == 3 && order[0] == TRAMPGEN_KIND_VEH && order[1] == TRAMPGEN_KIND_FIRST_VCH &&
	      order[2] == TRAMPGEN_KIND_LAST_VCH, "kinds in order: %d of them, %d %d %d",
	      norder, order[0], order[1], order[2]);
	seen.kind = FAULT_KIND;   /* check_injected expects the exception kind; LAST_VCH was checked above */
	check_injected(TRAMPGEN_FAULT_ACCESS, 1, 0);
	return 0;
}
#endif

static int scenario_continue_handlers(void)
{
#ifdef TRAMPGEN_KIND_FIRST_VCH
	uintptr_t sys_top;
	const char *missing = platform_continue_handlers_missing();

	setup_inject();
	sys_top = trampgen_system_stack_top();
	if (__builtin_setjmp(jump_back) == 0) {
		sink = read_at((volatile int *)0);
		printf("  FAIL the null read did not fault\n");
		return 1;
	}
	if (missing != NULL && seen.first_vch_calls == 0 && seen.last_vch_calls == 0)
		return continue_entries_as_exception_handlers(missing);
	check_injected(TRAMPGEN_FAULT_ACCESS, 1, 0);
	/* The continue handlers saw the context parked at sigresume on the
	   system stack, and their CONTINUE_EXECUTION did not prepare it again. */
	CHECK(seen.first_vch_calls == 1 && seen.first_vch_kind == TRAMPGEN_KIND_FIRST_VCH,
	      "first continue handler: %d calls, kind %d", seen.first_vch_calls, seen.first_vch_kind);
	CHECK(seen.last_vch_calls == 1 && seen.last_vch_kind == TRAMPGEN_KIND_LAST_VCH,
	      "last continue handler: %d calls, kind %d", seen.last_vch_calls, seen.last_vch_kind);
	CHECK(seen.first_vch_pc == trampgen_sigresume_pc(), "context PC %#lx at the first continue handler",
	      (unsigned long)seen.first_vch_pc);
	CHECK(seen.first_vch_sp == sys_top, "context SP %#lx at the first continue handler, system stack top %#lx",
	      (unsigned long)seen.first_vch_sp, (unsigned long)sys_top);
	CHECK(seen.last_vch_pc == trampgen_sigresume_pc() && seen.last_vch_sp == sys_top,
	      "context at the last continue handler: pc %#lx sp %#lx",
	      (unsigned long)seen.last_vch_pc, (unsigned long)seen.last_vch_sp);
	return 0;
#else
	printf("not applicable on %s: its OS has no continue handlers\n", TRAMPGEN_TARGET);
	return NOT_APPLICABLE;
#endif
}

/* ---- a second dispatch of a context already routed to sigresume ---------- */

static trampgen_fault first_fault;
static unsigned char replayed[TRAMPGEN_CONTEXT_SIZE] __attribute__((aligned(64)));
static unsigned char after_first[TRAMPGEN_CONTEXT_SIZE];
static char replay_stack[4096] __attribute__((aligned(64)));

static trampgen_verdict keep_a_copy(trampgen_fault *f, void *user)
{
	first_fault = *f;
	memcpy(replayed, f->context, sizeof replayed);
	return inject_recovery(f, user);
}

static trampgen_verdict continue_as_is(trampgen_fault *f, void *user)
{
	(void)user;
	seen.calls++;
	seen.pc = f->pc;
	return TRAMPGEN_CONTINUE_EXECUTION;
}

/*
 * A real fault, copied; then the copy delivered twice more through the real
 * entry trampoline: the first delivery injects a call and is routed to
 * sigresume; the second finds the context already at sigresume and must
 * leave every byte of it (the saved SP and PC in the scratch registers
 * above all) as the first left it.
 */
static int scenario_resume_guard(void)
{
	attach();
	trampgen_set_handler(FAULT_KIND, keep_a_copy, NULL);
	if (__builtin_setjmp(jump_back) == 0) {
		sink = read_at((volatile int *)0);
		printf("  FAIL the null read did not fault\n");
		return 1;
	}
	CHECK(seen.recovered == 1, "the real fault did not recover");

	/* The copy's stack is live frames by now: give it one of its own,
	   since inject-call writes below the SP it finds. */
	trampgen_context_set_sp(replayed, (uintptr_t)(replay_stack + sizeof replay_stack - 256));
	seen.calls = 0;
	trampgen_set_handler(FAULT_KIND, inject_recovery, NULL);
	platform_replay(&first_fault, replayed);
	CHECK(seen.calls == 1, "first replay reached the handler %d times", seen.calls);
	CHECK(trampgen_context_pc(replayed) == trampgen_sigresume_pc(), "first replay left pc %#lx",
	      (unsigned long)trampgen_context_pc(replayed));
	CHECK(trampgen_context_sp(replayed) == trampgen_system_stack_top(), "first replay left sp %#lx",
	      (unsigned long)trampgen_context_sp(replayed));
	memcpy(after_first, replayed, sizeof after_first);

	seen.calls = 0;
	trampgen_set_handler(FAULT_KIND, continue_as_is, NULL);
	platform_replay(&first_fault, replayed);
	CHECK(seen.calls == 1, "second replay reached the handler %d times", seen.calls);
	CHECK(seen.pc == trampgen_sigresume_pc(), "second delivery saw pc %#lx", (unsigned long)seen.pc);
	CHECK(memcmp(replayed, after_first, sizeof replayed) == 0,
	      "the second dispatch changed the context it found at sigresume");
	return 0;
}

/* ---- resume exactly: fix the cause, retry the instruction ------------------ */

static volatile int *protected_page;

static trampgen_verdict unprotect(trampgen_fault *f, void *user)
{
	(void)user;
	seen.calls++;
	seen.address = f->address;
	platform_page_protect((void *)protected_page, 1);
	return TRAMPGEN_CONTINUE_EXACT;
}

static int scenario_write_protected(void)
{
	attach();
	trampgen_set_handler(FAULT_KIND, unprotect, NULL);
	protected_page = platform_page_alloc();
	CHECK(protected_page != NULL, "no page");
	protected_page[3] = 1;
	platform_page_protect((void *)protected_page, 0);
	write_at(&protected_page[3], 42);
	CHECK(protected_page[3] == 42, "the write did not complete: %d", protected_page[3]);
	CHECK(seen.calls == 1, "handler ran %d times", seen.calls);
	CHECK(seen.address == (uintptr_t)&protected_page[3], "fault address %#lx, expected %#lx",
	      (unsigned long)seen.address, (unsigned long)(uintptr_t)&protected_page[3]);
	return 0;
}

/* ---- unattached: the next handler gets the fault untouched ---------------- */

static trampgen_verdict must_not_run(trampgen_fault *f, void *user)
{
	(void)f;
	(void)user;
	seen.calls++;
	return TRAMPGEN_CONTINUE_SEARCH;
}

static void TRAMPGEN_ABI_CC landing(uintptr_t arg)
{
	(void)arg;
	if (landing_check)
		landing_check();
	__builtin_longjmp(jump_back, 1);
}

static int next_redirects(void *context)
{
	seen.next_calls++;
	seen.next_pc = trampgen_context_pc(context);
	trampgen_inject_call(context, (uintptr_t)landing, 0);
	return 1;
}

static int scenario_unattached(void)
{
	uintptr_t fn_lo = (uintptr_t)read_at & ~(uintptr_t)TRAMPGEN_CODE_ADDRESS_TAG;

	/* Attach, then detach: the thread is as if it never attached. */
	attach();
	trampgen_detach();
	CHECK(!trampgen_attached(), "still attached after detach");
	trampgen_set_handler(FAULT_KIND, must_not_run, NULL);
	if (__builtin_setjmp(jump_back) == 0) {
		sink = read_at((volatile int *)0);
		printf("  FAIL the null read did not fault\n");
		return 1;
	}
	CHECK(seen.calls == 0, "trampgen handler ran %d times for an unattached thread", seen.calls);
	CHECK(seen.next_calls == 1, "next handler ran %d times", seen.next_calls);
	/* Untouched: the context still points into the faulting function. */
	CHECK(seen.next_pc >= fn_lo && seen.next_pc < fn_lo + 64, "next handler saw pc %#lx, read_at at %#lx",
	      (unsigned long)seen.next_pc, (unsigned long)fn_lo);
	return 0;
}

/* ---- driver ---------------------------------------------------------------- */

static const struct scenario {
	const char *name;
	int (*run)(void);
} scenarios[] = {
	{ "null_read", scenario_null_read },
	{ "null_write", scenario_null_write },
	{ "divide_by_zero", scenario_divide_by_zero },
	{ "breakpoint", scenario_breakpoint },
	{ "illegal_instruction", scenario_illegal_instruction },
	{ "write_protected", scenario_write_protected },
	{ "unattached", scenario_unattached },
	{ "continue_handlers", scenario_continue_handlers },
	{ "resume_guard", scenario_resume_guard },
};

int main(int argc, char **argv)
{
	const struct scenario *s = NULL;
	int rc;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc != 2) {
		for (unsigned i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++)
			printf("%s\n", scenarios[i].name);
		return argc == 1 ? 0 : 2;
	}
	for (unsigned i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++)
		if (strcmp(argv[1], scenarios[i].name) == 0)
			s = &scenarios[i];
	if (s == NULL) {
		printf("unknown scenario %s\n", argv[1]);
		return 2;
	}
	printf("%s on %s (%s)\n", s->name, TRAMPGEN_TARGET, platform_name);
	platform_set_next_handler(next_redirects);
	if (trampgen_install() != 0) {
		printf("FAIL trampgen_install\n");
		return 1;
	}
	rc = s->run();
	trampgen_uninstall();
	if (rc == NOT_APPLICABLE)
		return rc;
	if (rc != 0 || failures != 0) {
		printf("%s: FAILED (%d checks)\n", s->name, failures);
		return 1;
	}
	printf("%s: passed\n", s->name);
	return 0;
}
