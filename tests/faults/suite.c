/*
 * The fault suite: one program, built for every target, one scenario per
 * run (`suite NAME`; `suite` alone lists them). Each scenario raises a real
 * fault on its ISA and checks what the handler saw and where execution went.
 *
 * Exit status: 0 passed, 1 failed, 77 not applicable here (the reason is
 * printed; CTest reports it as skipped, never as passed).
 */
#if !defined(_WIN32)
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <unistd.h>
#define POSIX_SIGNALS 1
#if !defined(PLATFORM_HARNESS)
#define REAL_SIGNALS 1      /* trampgen's own POSIX backend, not the harness */
#endif
#endif
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "faultops.h"
#include "platform.h"
#include "trampgen.h"

#if defined(TRAMPGEN_KIND_VEH)
#define FAULT_KIND TRAMPGEN_KIND_VEH      /* Windows: the vectored exception handler */
#else
#define FAULT_KIND TRAMPGEN_KIND_SIGNAL   /* POSIX: the signal handler */
#endif
#define INJECT_ARG ((uintptr_t)0x5eed1234u)
#define NOT_APPLICABLE SCENARIO_SKIPPED

#include "check.h"

/* ---- faulting operations ------------------------------------------------ */

#define NOINLINE __attribute__((noinline))
/* These operations exist to fault in hardware: no sanitizer checks them first. */
#define FAULTS __attribute__((noinline, no_sanitize("address", "undefined")))

FAULTS static int read_at(volatile int *p) { return *p; }
FAULTS static void write_at(volatile int *p, int v) { *p = v; }
FAULTS static int divide(volatile int a, volatile int b) { return a / b; }
static volatile int sink;           /* keeps pure-looking calls from being dropped */

NOINLINE static void breakpoint(void)
{
	FAULTOPS_BREAKPOINT();
}

NOINLINE static void illegal(void)
{
	FAULTOPS_ILLEGAL();
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

/* Leaving frames behind with __builtin_longjmp: AddressSanitizer must be
   told, or their poisoned redzones outlive them. */
#if defined(__SANITIZE_ADDRESS__)
void __asan_handle_no_return(void);
#define LONGJMP(buf) (__asan_handle_no_return(), __builtin_longjmp(buf, 1))
#else
#define LONGJMP(buf) __builtin_longjmp(buf, 1)
#endif
static void (*landing_check)(void);

/* Where an injected call ends up (through capture_entry). */
void TRAMPGEN_ABI_CC recovery(uintptr_t arg)
{
	volatile char local;

	seen.recovered++;
	seen.recovery_arg = arg;
	seen.recovery_local = (uintptr_t)&local;
	LONGJMP(jump_back);
}

/*
 * Read *p, which must fault, and come back here once a handler has sent
 * execution to recovery() (or landing()). Returns 1 after the fault, 0 (a
 * failure, counted) if the read did not fault.
 */
NOINLINE static int faulted_reading(volatile int *p)
{
	if (__builtin_setjmp(jump_back) == 0) {
		sink = read_at(p);
		printf("  FAIL reading %p did not fault\n", (void *)p);
		failures++;
		return 0;
	}
	return 1;
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
	/* The injected call looks like a call from the faulting instruction:
	 * its return lands there. */
	CHECK(((capture_ret + TRAMPGEN_RETURN_OFFSET) & ~tag) == (seen.pc & ~tag),
	      "return address %#lx (+%d), faulting PC %#lx",
	      (unsigned long)capture_ret, TRAMPGEN_RETURN_OFFSET, (unsigned long)seen.pc);
	if (tag)
		CHECK(capture_ret & tag, "return address %#lx lacks the instruction-set tag", (unsigned long)capture_ret);
	CHECK(capture_sp == seen.injected_sp, "entry SP %#lx, injected %#lx",
	      (unsigned long)capture_sp, (unsigned long)seen.injected_sp);
	CHECK((capture_sp + entry_misalign) % TRAMPGEN_STACK_ALIGNMENT == 0,
	      "entry SP %#lx is not aligned as a call leaves it", (unsigned long)capture_sp);
	/* ... on the stack the fault happened on, just below the faulting SP. */
	CHECK(capture_sp <= seen.fault_sp &&
	      seen.fault_sp - capture_sp <= TRAMPGEN_RED_ZONE + TRAMPGEN_SHADOW_SPACE + 128,
	      "entry SP %#lx, faulting SP %#lx", (unsigned long)capture_sp, (unsigned long)seen.fault_sp);
	CHECK(seen.recovery_local < capture_sp && capture_sp - seen.recovery_local < 4096,
	      "recovery frame at %#lx", (unsigned long)seen.recovery_local);
	CHECK(!(seen.recovery_local >= (uintptr_t)system_stack && seen.recovery_local < sys_top),
	      "recovery ran on the system stack");
	/* ... having passed through sigresume: its scratch registers still hold
	   the SP it loaded and the PC it jumped to. */
	CHECK(found_sp && found_pc, "no capture slot for %s/%s", TRAMPGEN_RESUME_SP_REGISTER, TRAMPGEN_RESUME_PC_REGISTER);
	CHECK(scratch_sp + TRAMPGEN_STACK_BIAS == capture_sp, "%s = %#lx on arrival", TRAMPGEN_RESUME_SP_REGISTER,
	      (unsigned long)scratch_sp);
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
	if (!faulted_reading((volatile int *)0))
		return 1;
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
	if (!FAULTOPS_DIVIDE_TRAPS) {
		printf("not applicable on this ISA: %s\n", FAULTOPS_DIVIDE_NOTE);
		return NOT_APPLICABLE;
	}
#ifdef FAULTOPS_DIVIDE_UNDELIVERED
	printf("skipped: the runner does not deliver a division trap: %s\n", FAULTOPS_DIVIDE_UNDELIVERED);
	return NOT_APPLICABLE;
#endif
	setup_inject();
	if (__builtin_setjmp(jump_back) == 0) {
		sink = divide(1, 0);
		printf("  FAIL the division did not fault\n");
		return 1;
	}
	return check_injected(TRAMPGEN_FAULT_DIVIDE, 0, 0);
}

static int scenario_breakpoint(void)
{
#ifdef FAULTOPS_BREAKPOINT_UNDELIVERED
	printf("skipped: the runner does not deliver a breakpoint: %s\n", FAULTOPS_BREAKPOINT_UNDELIVERED);
	return NOT_APPLICABLE;
#endif
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
	if (!faulted_reading((volatile int *)0))
		return 1;
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
	if (!faulted_reading((volatile int *)0))
		return 1;
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
	memcpy(replayed, f->context, platform_context_bytes(f->context));
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
	if (!faulted_reading((volatile int *)0))
		return 1;
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
	LONGJMP(jump_back);
}

static int next_redirects(void *context)
{
	seen.next_calls++;
	seen.next_pc = trampgen_context_pc(context);
	trampgen_inject_call(context, (uintptr_t)landing, 0);
	return 1;
}

#ifdef _WIN32
#define WIN_OVERFLOW_RESERVE (256 * 1024)
static int win_recurse(volatile char *prev, int n);

static void never_attached_fault(int index)
{
	(void)index;
	faulted_reading((volatile int *)0);
}

static void never_attached_overflow(void)
{
	if (__builtin_setjmp(jump_back) == 0)
		sink = win_recurse(NULL, 0);
}
#endif

static int scenario_unattached(void)
{
	uintptr_t fn_lo = (uintptr_t)read_at & ~(uintptr_t)TRAMPGEN_CODE_ADDRESS_TAG;

	/* Attach, then detach: the thread is as if it never attached. */
	attach();
	trampgen_detach();
	CHECK(!trampgen_attached(), "still attached after detach");
	trampgen_set_handler(FAULT_KIND, must_not_run, NULL);
	if (!faulted_reading((volatile int *)0))
		return 1;
	CHECK(seen.calls == 0, "trampgen handler ran %d times for an unattached thread", seen.calls);
	CHECK(seen.next_calls == 1, "next handler ran %d times", seen.next_calls);
	/* Untouched: the context still points into the faulting function. */
	CHECK(seen.next_pc >= fn_lo && seen.next_pc < fn_lo + 64, "next handler saw pc %#lx, read_at at %#lx",
	      (unsigned long)seen.next_pc, (unsigned long)fn_lo);
#ifdef _WIN32
	/* A thread that never attached: its fault, and its stack overflow,
	   reach the next handler with record and context byte for byte as
	   Windows delivered them. */
	platform_watch_untouched();
	CHECK(platform_run_threads(1, never_attached_fault) == 0, "no thread");
	CHECK(seen.calls == 0, "trampgen handler ran %d times for a thread that never attached", seen.calls);
	CHECK(seen.next_calls == 2, "next handler ran %d times", seen.next_calls);
	CHECK(platform_untouched() == 1, "the fault reached the next handler changed (%d)", platform_untouched());
	platform_watch_untouched();
	CHECK(platform_run_small_stack(WIN_OVERFLOW_RESERVE, never_attached_overflow) == 0, "no thread");
	CHECK(seen.calls == 0, "trampgen handler ran %d times for a thread that never attached", seen.calls);
	CHECK(seen.next_calls == 3, "next handler ran %d times", seen.next_calls);
	CHECK(platform_untouched() == 1, "the stack overflow reached the next handler changed (%d)",
	      platform_untouched());
#endif
	return 0;
}

/* ---- processes that die: as if trampgen were not there --------------------- */

static int child_unattached_fault(void)
{
	trampgen_install();
	trampgen_set_handler(FAULT_KIND, must_not_run, NULL);
	sink = read_at((volatile int *)0);
	return 0;
}

static int child_plain_fault(void)
{
	sink = read_at((volatile int *)0);
	return 0;
}

static trampgen_verdict fault_again(trampgen_fault *f, void *user)
{
	(void)f;
	(void)user;
	sink = read_at((volatile int *)8);   /* a fault inside the handler */
	return TRAMPGEN_CONTINUE_SEARCH;
}

static int child_nested_fault(void)
{
	attach();
	trampgen_install();
	trampgen_set_handler(FAULT_KIND, fault_again, NULL);
	sink = read_at((volatile int *)0);
	return 0;
}

#ifdef REAL_SIGNALS
static void previous_exits(int signo)
{
	(void)signo;
	_exit(42);
}

static int child_nested_with_previous(void)
{
	signal(SIGSEGV, previous_exits);
	return child_nested_fault();
}
#endif

static int expect_death(const char *child, struct child_end *end)
{
	char how[128];

	if (platform_run_child(child, end) != 0) {
		printf("  FAIL could not start child %s\n", child);
		failures++;
		return 0;
	}
	platform_describe(end, how, sizeof how);
	printf("  child %s: %s\n", child, how);
	CHECK(!end->timed_out, "child %s hung", child);
	CHECK(platform_died_of_access_violation(end), "child %s: %s", child, how);
	return 1;
}

#ifdef REAL_SIGNALS
static int child_unattached_trap(void)
{
	trampgen_install();
	trampgen_set_handler(FAULT_KIND, must_not_run, NULL);
	breakpoint();
	return 0;
}

static int child_plain_trap(void)
{
	breakpoint();
	return 0;
}

static int child_unattached_illegal(void)
{
	trampgen_install();
	trampgen_set_handler(FAULT_KIND, must_not_run, NULL);
	illegal();
	return 0;
}

static int child_plain_illegal(void)
{
	illegal();
	return 0;
}

/* An unclaimed trap or illegal instruction: the same death as without
   trampgen (a trap does not re-execute: trampgen raises it). */
static void same_death(const char *with_name, const char *without_name)
{
	struct child_end with, without;

	CHECK(platform_run_child(with_name, &with) == 0 && platform_run_child(without_name, &without) == 0,
	      "no child");
	printf("  %s: %s; %s: %s\n", with_name, with.signaled ? strsignal(with.signo) : "no signal",
	       without_name, without.signaled ? strsignal(without.signo) : "no signal");
	CHECK(!with.timed_out && with.signaled && with.signaled == without.signaled && with.signo == without.signo,
	      "%s: signal %d (timed out %d), without trampgen: signal %d", with_name, with.signo, with.timed_out,
	      without.signo);
}
#endif

static int scenario_unattached_default(void)
{
	struct child_end with, without;

#ifdef FAULTOPS_BREAKPOINT_UNDELIVERED
	/* Its children die of a breakpoint, with and without trampgen. */
	printf("skipped: the runner does not deliver a breakpoint: %s\n", FAULTOPS_BREAKPOINT_UNDELIVERED);
	return NOT_APPLICABLE;
#endif
	expect_death("unattached_fault", &with);
#ifdef REAL_SIGNALS
	/* Exactly the end a process without trampgen meets. */
	expect_death("plain_fault", &without);
	CHECK(with.signaled == without.signaled && with.signo == without.signo &&
	      with.exit_code == without.exit_code, "with trampgen: signal %d, without: signal %d",
	      with.signo, without.signo);
	same_death("unattached_trap", "plain_trap");
	same_death("unattached_illegal", "plain_illegal");
#else
	(void)without;
#endif
	return 0;
}

#ifdef REAL_SIGNALS
/* Run a child with its stderr going to a file, and read that back. */
static int run_child_capturing(const char *child, struct child_end *end, char *buf, size_t size)
{
	FILE *tmp = tmpfile();
	int saved, rc;
	ssize_t n;

	buf[0] = 0;
	if (tmp == NULL)
		return -1;
	fflush(stderr);
	saved = dup(2);
	dup2(fileno(tmp), 2);
	rc = platform_run_child(child, end);
	dup2(saved, 2);
	close(saved);
	lseek(fileno(tmp), 0, SEEK_SET);
	n = read(fileno(tmp), buf, size - 1);
	buf[n > 0 ? n : 0] = 0;
	fclose(tmp);
	return rc;
}
#endif

static int scenario_nested_fault(void)
{
	struct child_end end;

	/* Reported, never a hang: the process dies of the nested fault. */
#ifdef REAL_SIGNALS
	static const char tail[] = ", address 0x8; the process dies of it\n";
	char err[512], expect[128];
	const char *at;

	CHECK(run_child_capturing("nested_fault", &end, err, sizeof err) == 0, "no child");
	printf("  child nested_fault: stderr \"%.*s\"\n", (int)strcspn(err, "\n"), err);
	CHECK(!end.timed_out && end.signaled && end.signo == SIGSEGV, "nested fault: signal %d, timed out %d",
	      end.signo, end.timed_out);
	/* One line, naming the signal, the PC and the address of the nested
	   fault (qemu-user may add its own line about the guest's death). */
	snprintf(expect, sizeof expect, "trampgen: fault inside a handler: signal %d (SIGSEGV) at pc 0x", SIGSEGV);
	at = strstr(err, tail);
	CHECK(strncmp(err, expect, strlen(expect)) == 0, "stderr starts \"%.60s\"", err);
	CHECK(at != NULL && strchr(err, '\n') == at + strlen(tail) - 1, "stderr's first line is not that line: \"%s\"",
	      err);
	CHECK(at != NULL && strstr(at, "trampgen") == NULL, "more lines from trampgen: \"%s\"", err);
	/* Dies of SIG_DFL: a previous handler is not asked to recover a bug. */
	CHECK(platform_run_child("nested_with_previous", &end) == 0, "no child");
	CHECK(!end.timed_out && end.signaled && end.signo == SIGSEGV,
	      "nested fault with a previous handler: signal %d, exit %lu", end.signo, end.exit_code);
#else
	expect_death("nested_fault", &end);
#endif
	return 0;
}

#ifdef REAL_SIGNALS
static void previous_plain(int signo)
{
	(void)signo;
	_exit(42);
}

static int child_previous_plain(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = previous_plain;    /* no SA_SIGINFO */
	sigaction(SIGSEGV, &sa, NULL);
	trampgen_install();
	sink = read_at((volatile int *)0);
	return 0;
}

static int child_previous_ignore(void)
{
	signal(SIGSEGV, SIG_IGN);
	trampgen_install();
	sink = read_at((volatile int *)0);
	return 0;
}

static int child_plain_ignore(void)
{
	signal(SIGSEGV, SIG_IGN);
	sink = read_at((volatile int *)0);
	return 0;
}
#endif

static int scenario_previous_dispositions(void)
{
#ifdef REAL_SIGNALS
	struct child_end end, plain;

	/* A handler installed without SA_SIGINFO is called as one. */
	CHECK(platform_run_child("previous_plain", &end) == 0 && !end.signaled && end.exit_code == 42,
	      "the previous plain handler did not run (exit %lu, signal %d)", end.exit_code, end.signo);
	/* SIG_IGN cannot ignore a fault: the process dies as it would without trampgen. */
	expect_death("previous_ignore", &end);
	expect_death("plain_ignore", &plain);
	CHECK(end.signo == plain.signo, "SIG_IGN: signal %d with trampgen, %d without", end.signo, plain.signo);
	return 0;
#else
	printf("not applicable on %s: signal dispositions are POSIX's\n", platform_name);
	return NOT_APPLICABLE;
#endif
}

/* ---- uninstall --------------------------------------------------------------- */

static int scenario_uninstall(void)
{
	attach();
	trampgen_set_handler(FAULT_KIND, must_not_run, NULL);
	trampgen_uninstall();
	if (!faulted_reading((volatile int *)0))
		return 1;
	/* The handler that was there before trampgen gets the fault directly. */
	CHECK(seen.calls == 0, "trampgen handler ran %d times after uninstall", seen.calls);
	CHECK(seen.next_calls == 1, "previous handler ran %d times", seen.next_calls);
	return 0;
}

/* ---- errno (and the signal mask) survive a handled fault -------------------- */

static trampgen_verdict clobber_then_recover(trampgen_fault *f, void *user)
{
	errno = EIO;
#ifdef _WIN32
	platform_clobber_last_error();
#endif
	return inject_recovery(f, user);
}

static int scenario_errno_and_mask(void)
{
#ifdef POSIX_SIGNALS
	sigset_t before, after, block;

	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &block, NULL);
	pthread_sigmask(SIG_SETMASK, NULL, &before);
#endif
	attach();
	trampgen_set_handler(FAULT_KIND, clobber_then_recover, NULL);
#ifdef _WIN32
	platform_set_last_error(0x1234);
#endif
	errno = EDOM;
	if (!faulted_reading((volatile int *)0))
		return 1;
	CHECK(errno == EDOM, "errno is %d after the fault, was %d", errno, EDOM);
	CHECK(seen.recovered == 1, "recovery ran %d times", seen.recovered);
#ifdef _WIN32
	CHECK(platform_last_error() == 0x1234, "last error %#lx after the fault", platform_last_error());
#endif
#ifdef POSIX_SIGNALS
	pthread_sigmask(SIG_SETMASK, NULL, &after);
	for (int s = 1; s < 32; s++)
		CHECK(sigismember(&before, s) == sigismember(&after, s), "signal %d %s blocked after the fault",
		      s, sigismember(&after, s) ? "is now" : "is no longer");
#endif
	return 0;
}

/* ---- a system call given a bad pointer --------------------------------------- */

static int scenario_syscall_efault(void)
{
#ifdef POSIX_SIGNALS
	int fds[2];
	ssize_t n;
	const void *volatile bad = (const void *)16;   /* opaque to the compiler */

	attach();
	trampgen_set_handler(FAULT_KIND, must_not_run, NULL);
	CHECK(pipe(fds) == 0, "pipe");
	errno = 0;
	n = write(fds[1], bad, 8);
	CHECK(n == -1 && errno == EFAULT, "write returned %ld, errno %d", (long)n, errno);
	CHECK(seen.calls == 0, "the handler ran %d times for a kernel-side fault", seen.calls);
	CHECK(seen.next_calls == 0, "the previous handler ran %d times", seen.next_calls);
	return 0;
#else
	printf("not applicable on %s: %s\n", platform_name, platform_no_posix_syscalls());
	return NOT_APPLICABLE;
#endif
}

/* ---- many threads, many faults ------------------------------------------------ */

#define THREADS 2
#define FAULTS_PER_THREAD 10000

static volatile unsigned long counted[THREADS], recovered_in[THREADS], total_calls;
static char thread_stacks[THREADS][64 * 1024] __attribute__((aligned(64)));
static __thread void *thread_jump[5];

static void TRAMPGEN_ABI_CC thread_recovery(uintptr_t index)
{
	__atomic_add_fetch(&recovered_in[index], 1, __ATOMIC_RELAXED);
	LONGJMP(thread_jump);
}

static trampgen_verdict count_and_recover(trampgen_fault *f, void *user)
{
	uintptr_t index = (f->address - 64) / 16;

	(void)user;
	__atomic_add_fetch(&total_calls, 1, __ATOMIC_RELAXED);
	if (f->fault_class != TRAMPGEN_FAULT_ACCESS || index >= THREADS)
		return TRAMPGEN_CONTINUE_SEARCH;
	__atomic_add_fetch(&counted[index], 1, __ATOMIC_RELAXED);
	trampgen_inject_call(f->context, (uintptr_t)thread_recovery, index);
	return TRAMPGEN_CONTINUE_EXECUTION;
}

static void fault_many_times(int index)
{
	volatile int i;

	if (trampgen_attach(thread_stacks[index], sizeof thread_stacks[index]) != 0)
		return;
	for (i = 0; i < FAULTS_PER_THREAD; i++) {
		if (__builtin_setjmp(thread_jump) == 0)
			sink = read_at((volatile int *)(uintptr_t)(64 + 16 * index));
	}
	trampgen_detach();
}

static int scenario_concurrent(void)
{
	const char *no_threads = platform_threads_unavailable();

	if (no_threads != NULL) {
		printf("not applicable here: %s\n", no_threads);
		return NOT_APPLICABLE;
	}
	trampgen_set_handler(FAULT_KIND, count_and_recover, NULL);
	CHECK(platform_run_threads(THREADS, fault_many_times) == 0, "threads did not start");
	for (int t = 0; t < THREADS; t++) {
		CHECK(counted[t] == FAULTS_PER_THREAD, "thread %d: %lu faults counted", t, counted[t]);
		CHECK(recovered_in[t] == FAULTS_PER_THREAD, "thread %d: %lu recoveries", t, recovered_in[t]);
	}
	CHECK(total_calls == THREADS * FAULTS_PER_THREAD, "%lu handler calls in all", total_calls);
	return 0;
}

/* ---- stack overflow, handled on the alternate stack --------------------------- */

#ifdef REAL_SIGNALS
#define CANARY 4096
#define ALT_SIZE (64 * 1024)
#define CANARY_BYTE 0xA5

static unsigned char alt_area[CANARY + ALT_SIZE + CANARY] __attribute__((aligned(4096)));
static char overflow_recovery_stack[16 * 1024] __attribute__((aligned(64)));
static uintptr_t stack_low;
static volatile int overflow_calls, overflow_on_alt, overflow_near_guard;

NOINLINE static int recurse(volatile char *prev, int n)
{
	volatile char pad[512];

	pad[0] = (char)n;
	pad[1] = prev ? prev[0] : 0;
	/* Not a tail call; bounded only so that the compiler accepts it. */
	return n > (1 << 30) ? 0 : recurse(pad, n + 1) + pad[2];
}

static trampgen_verdict on_overflow(trampgen_fault *f, void *user)
{
	volatile char here;
	uintptr_t h = (uintptr_t)&here;

	(void)user;
	overflow_calls++;
	overflow_on_alt += h >= (uintptr_t)alt_area + CANARY && h < (uintptr_t)alt_area + CANARY + ALT_SIZE;
	overflow_near_guard += f->address < stack_low + 4096 && f->address + 64 * 1024 >= stack_low;
	/* The overflowed stack has no room for a call: resume on another one. */
	trampgen_context_set_sp(f->context, (uintptr_t)overflow_recovery_stack + sizeof overflow_recovery_stack);
	trampgen_inject_call(f->context, (uintptr_t)recovery, INJECT_ARG);
	return TRAMPGEN_CONTINUE_EXECUTION;
}

static void *overflow_thread(void *arg)
{
	pthread_attr_t attr;
	void *lo;
	size_t size;
	stack_t ss;

	(void)arg;
	pthread_getattr_np(pthread_self(), &attr);
	pthread_attr_getstack(&attr, &lo, &size);
	pthread_attr_destroy(&attr);
	stack_low = (uintptr_t)lo;
	/* Our own alternate stack, fenced by canaries; trampgen_attach keeps it. */
	memset(alt_area, CANARY_BYTE, sizeof alt_area);
	ss.ss_sp = alt_area + CANARY;
	ss.ss_size = ALT_SIZE;
	ss.ss_flags = 0;
	sigaltstack(&ss, NULL);
	attach();
	for (int round = 0; round < 2; round++) {
		if (__builtin_setjmp(jump_back) == 0)
			sink = recurse(NULL, 0);
	}
	trampgen_detach();
	return NULL;
}
#endif

#ifdef _WIN32
/*
 * Windows: EXCEPTION_STACK_OVERFLOW is dispatched on the faulting thread's
 * own stack, in the area SetThreadStackGuarantee reserved at attach. The
 * handler sends execution to recovery() on another stack (the overflowed
 * one has no room for a call), which jumps back above the recursion; the
 * guard page is re-armed (_resetstkoflw) and the stack overflowed again.
 */
static char win_recovery_stack[16 * 1024] __attribute__((aligned(64)));
static uintptr_t win_stack_low, win_stack_high;
static unsigned long win_guarantee;
static volatile int win_calls, win_class_ok, win_on_own_stack, win_in_guaranteed, win_rearm_failed;
static volatile uintptr_t win_depth, win_fault_room;

NOINLINE static int win_recurse(volatile char *prev, int n)
{
	volatile char pad[512];

	pad[0] = (char)n;
	pad[1] = prev ? prev[0] : 0;
	/* Not a tail call; bounded only so that the compiler accepts it. */
	return n > (1 << 30) ? 0 : win_recurse(pad, n + 1) + pad[2];
}

static trampgen_verdict on_win_overflow(trampgen_fault *f, void *user)
{
	volatile char here;
	uintptr_t h = (uintptr_t)&here, sp = trampgen_context_sp(f->context);

	(void)user;
	win_calls++;
	win_class_ok += f->fault_class == TRAMPGEN_FAULT_STACK_OVERFLOW && f->code == 0xC00000FDu;
	/* On the overflowed stack itself, below the faulting SP ... */
	win_on_own_stack += h > win_stack_low && h < sp && sp < win_stack_high;
	/* ... at the top of the guaranteed area (the overflow is raised as the
	   guard page would enter it), so the whole area is the handler's,
	   the first time too. */
	win_fault_room = sp - win_stack_low;
	win_in_guaranteed += win_fault_room >= win_guarantee && win_fault_room <= win_guarantee + 3 * 4096;
	if (sp - h > win_depth)
		win_depth = sp - h;
	trampgen_context_set_sp(f->context, (uintptr_t)win_recovery_stack + sizeof win_recovery_stack);
	trampgen_inject_call(f->context, (uintptr_t)recovery, INJECT_ARG);
	return TRAMPGEN_CONTINUE_EXECUTION;
}

static void win_overflow_thread(void)
{
	platform_stack_limits(&win_stack_low, &win_stack_high);
	attach();
	win_guarantee = platform_stack_guarantee();
	for (int round = 0; round < 2; round++) {
		if (__builtin_setjmp(jump_back) == 0)
			sink = win_recurse(NULL, 0);
		if (platform_rearm_stack_guard() != 0)
			win_rearm_failed++;
	}
	trampgen_detach();
}

static int win_stack_overflow(void)
{
	trampgen_set_handler(FAULT_KIND, on_win_overflow, NULL);
	CHECK(platform_run_small_stack(WIN_OVERFLOW_RESERVE, win_overflow_thread) == 0, "no thread");
	printf("  note: guarantee %lu bytes; faulting SP %lu bytes above the stack's end; "
	       "the handler's frame %lu bytes below it\n",
	       win_guarantee, (unsigned long)win_fault_room, (unsigned long)win_depth);
	CHECK(win_guarantee >= 16 * 1024, "attach left a stack guarantee of %lu bytes", win_guarantee);
	CHECK(win_calls == 2, "handler ran %d times for two overflows", win_calls);
	CHECK(seen.recovered == 2, "recovered %d times", seen.recovered);
	CHECK(seen.recovery_arg == INJECT_ARG, "recovery argument %#lx", (unsigned long)seen.recovery_arg);
	CHECK(win_class_ok == 2, "EXCEPTION_STACK_OVERFLOW as TRAMPGEN_FAULT_STACK_OVERFLOW %d times", win_class_ok);
	CHECK(win_on_own_stack == 2, "the handler ran on the overflowed stack %d times", win_on_own_stack);
	CHECK(win_in_guaranteed == 2, "faulting SP at the top of the guaranteed area %d times", win_in_guaranteed);
	CHECK(win_depth < win_guarantee, "the handler needed %lu bytes, more than the guarantee",
	      (unsigned long)win_depth);
	CHECK(win_rearm_failed == 0, "re-arming the guard page failed %d times", win_rearm_failed);
	return 0;
}
#endif

static int scenario_stack_overflow(void)
{
#ifdef REAL_SIGNALS
	pthread_attr_t attr;
	pthread_t t;
	int intact = 1;
	const char *no_threads = platform_threads_unavailable();

	trampgen_set_handler(FAULT_KIND, on_overflow, NULL);
	if (no_threads == NULL) {
		/* A thread with a small stack: quick to overflow, guard page below. */
		pthread_attr_init(&attr);
		pthread_attr_setstacksize(&attr, 128 * 1024);
		CHECK(pthread_create(&t, &attr, overflow_thread, NULL) == 0, "no thread");
		pthread_join(t, NULL);
	} else {
		printf("  note: %s; overflowing the main thread's stack instead\n", no_threads);
		overflow_thread(NULL);
	}
	CHECK(overflow_calls == 2, "handler ran %d times for two overflows", overflow_calls);
	CHECK(seen.recovered == 2, "recovered %d times", seen.recovered);
	CHECK(overflow_on_alt == 2, "the handler ran on the alternate stack %d times", overflow_on_alt);
	CHECK(overflow_near_guard == 2, "fault addresses near the stack's low end: %d", overflow_near_guard);
	for (unsigned i = 0; i < CANARY; i++)
		intact &= alt_area[i] == CANARY_BYTE && alt_area[CANARY + ALT_SIZE + i] == CANARY_BYTE;
	CHECK(intact, "a canary zone around the alternate stack was written");
	return 0;
#elif defined(_WIN32)
	return win_stack_overflow();
#else
	printf("not applicable on %s: %s\n", platform_name, platform_no_alternate_stack());
	return NOT_APPLICABLE;
#endif
}

/* ---- the runtime's own alternate stack ------------------------------------- */

#ifdef REAL_SIGNALS
static volatile uintptr_t handler_frame;

static trampgen_verdict note_frame_and_recover(trampgen_fault *f, void *user)
{
	volatile char here;

	handler_frame = (uintptr_t)&here;
	return inject_recovery(f, user);
}
#endif

static int scenario_attach_altstack(void)
{
#ifdef REAL_SIGNALS
	stack_t ss;
	uintptr_t lo, hi;

	CHECK(sigaltstack(NULL, &ss) == 0 && (ss.ss_flags & SS_DISABLE), "an alternate stack before attach");
	attach();
	CHECK(sigaltstack(NULL, &ss) == 0 && !(ss.ss_flags & SS_DISABLE), "attach gave no alternate stack");
	CHECK(ss.ss_size >= 64 * 1024, "alternate stack of %lu bytes", (unsigned long)ss.ss_size);
	lo = (uintptr_t)ss.ss_sp;
	hi = lo + ss.ss_size;
	/* Faults are handled on it ... */
	trampgen_set_handler(FAULT_KIND, note_frame_and_recover, NULL);
	faulted_reading((volatile int *)0);
	CHECK(seen.recovered == 1 && handler_frame >= lo && handler_frame < hi,
	      "handler frame %#lx, alternate stack [%#lx, %#lx)", (unsigned long)handler_frame,
	      (unsigned long)lo, (unsigned long)hi);
	/* ... and the page below it is a guard: touching it faults. */
	memset(&seen, 0, sizeof seen);
	trampgen_set_handler(FAULT_KIND, inject_recovery, NULL);
	faulted_reading((volatile int *)(lo - 16));
	CHECK(seen.calls == 1 && seen.address == lo - 16, "reading below the alternate stack: %d faults at %#lx",
	      seen.calls, (unsigned long)seen.address);
	trampgen_detach();
	CHECK(sigaltstack(NULL, &ss) == 0 && (ss.ss_flags & SS_DISABLE), "detach left the alternate stack");
	return 0;
#else
	printf("not applicable on %s: %s\n", platform_name, platform_no_alternate_stack());
	return NOT_APPLICABLE;
#endif
}

/* ---- attach: what it accepts, what it maps ----------------------------------- */

#if defined(__linux__)
#include <sys/mman.h>
/* The protection ("rw-p", "---p") of the mapping holding addr, from
   /proc/self/maps; 0 when nothing maps it. */
static int mapped(uintptr_t addr, char prot[5])
{
	char line[512];
	unsigned long lo, hi;
	int found = 0;
	FILE *f = fopen("/proc/self/maps", "r");

	prot[0] = 0;
	if (f == NULL)
		return -1;
	while (!found && fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, prot) == 3 && addr >= lo && addr < hi)
			found = 1;
	fclose(f);
	if (!found)
		prot[0] = 0;
	return found;
}

static int mapping_count(void)
{
	char line[512];
	int n = 0;
	FILE *f = fopen("/proc/self/maps", "r");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		n += strchr(line, '\n') != NULL;
	fclose(f);
	return n;
}
#define HAVE_MAPS 1
#endif

static size_t page_size(void)
{
#if defined(POSIX_SIGNALS)
	return (size_t)sysconf(_SC_PAGESIZE);
#else
	return 4096;
#endif
}

/* attach(p, n) must fail with EINVAL and leave the thread as it was. */
static void attach_rejects(void *p, size_t n, const char *what, int attached_before, uintptr_t top_before)
{
	int rc;

	errno = 0;
	rc = trampgen_attach(p, n);
	CHECK(rc == -1 && errno == EINVAL, "%s: attach returned %d, errno %d", what, rc, errno);
	CHECK(trampgen_attached() == attached_before && trampgen_system_stack_top() == top_before,
	      "%s: the thread changed (attached %d, top %#lx)", what, trampgen_attached(),
	      (unsigned long)trampgen_system_stack_top());
}

static int scenario_attach_einval(void)
{
	size_t min = trampgen_system_stack_min(), page = page_size();
	uintptr_t base = (uintptr_t)system_stack, a = TRAMPGEN_STACK_ALIGNMENT, top;
	unsigned off = 1;

	printf("  system stack minimum %lu bytes, page %lu\n", (unsigned long)min, (unsigned long)page);
	CHECK(min >= 1024 && min <= sizeof system_stack, "minimum %lu", (unsigned long)min);
	trampgen_detach();
	attach_rejects(system_stack, 0, "size 0 with an address", 0, 0);
	attach_rejects((void *)1, sizeof system_stack, "address 1", 0, 0);
	attach_rejects(system_stack, min - 1, "one byte below the minimum", 0, 0);
	/* Misaligned: the top is aligned down, and what is left is short. */
	while ((base + off + min) % a == 0)
		off++;
	attach_rejects(system_stack + off, min, "a misaligned buffer short after aligning its top", 0, 0);
	attach_rejects((void *)(UINTPTR_MAX - page + 1), 2 * page, "a wrapping range", 0, 0);
	if (page < min)
		attach_rejects(NULL, 1, "NULL with a size below the minimum", 0, 0);
	errno = 0;
	CHECK(trampgen_attach(NULL, SIZE_MAX) == -1 && (errno == ENOMEM || errno == EINVAL),
	      "NULL with SIZE_MAX: errno %d", errno);
	CHECK(!trampgen_attached(), "attached after failures");

	/* Exactly the minimum is accepted, misaligned too if enough is left. */
	CHECK(trampgen_attach(system_stack, min) == 0, "the minimum is refused: errno %d", errno);
	top = (base + min) & ~(a - 1);
	CHECK(trampgen_system_stack_top() == top, "top %#lx, expected %#lx",
	      (unsigned long)trampgen_system_stack_top(), (unsigned long)top);
	/* A bad re-attach changes nothing. */
	attach_rejects(system_stack, 0, "re-attach with size 0", 1, top);
	attach_rejects((void *)1, 4096, "re-attach at address 1", 1, top);
	CHECK(trampgen_attach(system_stack + off, min + a) == 0, "misaligned with room refused: errno %d", errno);
	top = (base + off + min + a) & ~(a - 1);
	CHECK(trampgen_system_stack_top() == top && top - (base + off) >= min, "misaligned top %#lx",
	      (unsigned long)trampgen_system_stack_top());
	CHECK(trampgen_detach() == 0, "detach");
	return 0;
}

static int scenario_attach_default(void)
{
	uintptr_t top;
#ifdef HAVE_MAPS
	char prot[5];
#endif

	CHECK(trampgen_attach(NULL, 0) == 0, "attach(NULL, 0): errno %d", errno);
	top = trampgen_system_stack_top();
	CHECK(top != 0 && top % TRAMPGEN_STACK_ALIGNMENT == 0, "top %#lx", (unsigned long)top);
	CHECK(!(top > (uintptr_t)&top && top - (uintptr_t)&top < 1024 * 1024),
	      "the system stack top %#lx is the thread's own stack (a local at %p)", (unsigned long)top, (void *)&top);
#ifdef HAVE_MAPS
	/* Its own mapping: TRAMPGEN_SYSTEM_STACK_DEFAULT bytes below the top,
	   readable and writable, and an inaccessible guard page below. */
	CHECK(mapped(top - 1, prot) == 1 && strcmp(prot, "rw-p") == 0, "below the top: \"%s\"", prot);
	CHECK(mapped(top - TRAMPGEN_SYSTEM_STACK_DEFAULT, prot) == 1 && strcmp(prot, "rw-p") == 0,
	      "the stack's lowest byte: \"%s\"", prot);
	CHECK(mapped(top - TRAMPGEN_SYSTEM_STACK_DEFAULT - 1, prot) == 1 && strcmp(prot, "---p") == 0,
	      "the guard page: \"%s\"", prot);
#endif
	/* A fault resumed through it. */
	trampgen_set_handler(FAULT_KIND, inject_recovery, NULL);
	if (!faulted_reading((volatile int *)0))
		return 1;
	CHECK(seen.calls == 1 && seen.recovered == 1, "calls %d, recovered %d", seen.calls, seen.recovered);
	CHECK(trampgen_detach() == 0 && !trampgen_attached(), "detach");
#ifdef HAVE_MAPS
	CHECK(mapped(top - 1, prot) == 0, "detach left the system stack mapped (\"%s\")", prot);
	CHECK(mapped(top - TRAMPGEN_SYSTEM_STACK_DEFAULT - 1, prot) == 0, "detach left the guard page (\"%s\")", prot);
	/* A size is rounded up to whole pages. */
	{
		size_t pages = trampgen_system_stack_min() / page_size() + 1;

		CHECK(trampgen_attach(NULL, (pages - 1) * page_size() + 1) == 0, "attach(NULL, %lu pages + 1)",
		      (unsigned long)pages - 1);
		top = trampgen_system_stack_top();
		CHECK(mapped(top - pages * page_size(), prot) == 1 && strcmp(prot, "rw-p") == 0,
		      "the lowest of %lu pages: \"%s\"", (unsigned long)pages, prot);
		CHECK(mapped(top - pages * page_size() - 1, prot) == 1 && strcmp(prot, "---p") == 0,
		      "its guard: \"%s\"", prot);
		trampgen_detach();
	}
#endif
	return 0;
}

static int scenario_reattach(void)
{
	uintptr_t t1, t2, t3;
#ifdef HAVE_MAPS
	char prot[5];
	int before, after;
#endif
#ifdef REAL_SIGNALS
	stack_t ss1, ss2;
#endif

	trampgen_set_handler(FAULT_KIND, inject_recovery, NULL);
	CHECK(trampgen_attach(NULL, 0) == 0, "attach(NULL, 0)");
	t1 = trampgen_system_stack_top();
#ifdef REAL_SIGNALS
	sigaltstack(NULL, &ss1);
#endif
	CHECK(trampgen_attach(NULL, 2 * TRAMPGEN_SYSTEM_STACK_DEFAULT) == 0, "re-attach(NULL, 128 KiB)");
	t2 = trampgen_system_stack_top();
	CHECK(t2 != t1, "the same top after re-attach");
#ifdef HAVE_MAPS
	CHECK(mapped(t1 - 1, prot) == 0, "re-attach left the first system stack mapped");
	CHECK(mapped(t2 - 2 * TRAMPGEN_SYSTEM_STACK_DEFAULT, prot) == 1 && strcmp(prot, "rw-p") == 0,
	      "the second one's lowest byte: \"%s\"", prot);
#endif
#ifdef REAL_SIGNALS
	/* The alternate stack stays. */
	sigaltstack(NULL, &ss2);
	CHECK(!(ss2.ss_flags & SS_DISABLE) && ss2.ss_sp == ss1.ss_sp && ss2.ss_size == ss1.ss_size,
	      "re-attach changed the alternate stack");
#endif
	if (!faulted_reading((volatile int *)0))
		return 1;
	CHECK(seen.recovered == 1, "no recovery after a re-attach");
	/* The caller's own memory next: trampgen's mapping goes. */
	CHECK(trampgen_attach(system_stack, sizeof system_stack) == 0, "re-attach(own stack)");
	t3 = trampgen_system_stack_top();
	CHECK(t3 == (((uintptr_t)system_stack + sizeof system_stack) & ~(uintptr_t)(TRAMPGEN_STACK_ALIGNMENT - 1)),
	      "top %#lx", (unsigned long)t3);
#ifdef HAVE_MAPS
	CHECK(mapped(t2 - 1, prot) == 0, "re-attach left the second system stack mapped");
	/* Many re-attaches: no mapping accumulates. */
	CHECK(trampgen_attach(NULL, 0) == 0, "attach");
	before = mapping_count();
	for (int i = 0; i < 200; i++)
		trampgen_attach(NULL, (size_t)(i % 3 + 1) * TRAMPGEN_SYSTEM_STACK_DEFAULT);
	after = mapping_count();
	printf("  mappings: %d after one attach, %d after 200 more\n", before, after);
	CHECK(after <= before + 2, "200 re-attaches: %d mappings, %d before", after, before);
#endif
	memset(&seen, 0, sizeof seen);
	if (!faulted_reading((volatile int *)0))
		return 1;
	CHECK(seen.recovered == 1, "no recovery after 200 re-attaches");
	CHECK(trampgen_detach() == 0, "detach");
#ifdef REAL_SIGNALS
	sigaltstack(NULL, &ss2);
	CHECK(ss2.ss_flags & SS_DISABLE, "detach left the alternate stack");
#endif
	return 0;
}

/* ---- detach and attach inside a handler ---------------------------------------- */

static volatile int in_handler_detach_rc, in_handler_detach_errno, in_handler_attach_rc,
	in_handler_attach_errno, in_handler_attached;
static volatile uintptr_t in_handler_top;

static trampgen_verdict detach_inside(trampgen_fault *f, void *user)
{
	in_handler_detach_rc = trampgen_detach();
	in_handler_detach_errno = errno;
	in_handler_attach_rc = trampgen_attach(NULL, 0);
	in_handler_attach_errno = errno;
	in_handler_attached = trampgen_attached();
	in_handler_top = trampgen_system_stack_top();
	return inject_recovery(f, user);
}

/* set_handler from inside a handler: the next fault sees the new pair. */
static int swap_marker;
static volatile int swapped_calls, swapped_user_ok;

static trampgen_verdict swapped(trampgen_fault *f, void *user)
{
	swapped_calls++;
	swapped_user_ok += user == &swap_marker;
	return inject_recovery(f, NULL);
}

static trampgen_verdict swap_inside(trampgen_fault *f, void *user)
{
	trampgen_set_handler(FAULT_KIND, swapped, &swap_marker);
	return inject_recovery(f, user);
}

static int scenario_detach_in_handler(void)
{
	uintptr_t top;
#ifdef REAL_SIGNALS
	stack_t before, after;
#endif

	CHECK(trampgen_attach(NULL, 0) == 0, "attach");
	top = trampgen_system_stack_top();
#ifdef REAL_SIGNALS
	sigaltstack(NULL, &before);
#endif
	trampgen_set_handler(FAULT_KIND, detach_inside, NULL);
	if (!faulted_reading((volatile int *)0))
		return 1;
	CHECK(in_handler_detach_rc == -1 && in_handler_detach_errno == EBUSY, "detach in a handler: %d, errno %d",
	      in_handler_detach_rc, in_handler_detach_errno);
	CHECK(in_handler_attach_rc == -1 && in_handler_attach_errno == EBUSY, "attach in a handler: %d, errno %d",
	      in_handler_attach_rc, in_handler_attach_errno);
	CHECK(in_handler_attached && in_handler_top == top, "the thread changed in the handler");
	CHECK(seen.recovered == 1, "the fault was not recovered");
	CHECK(trampgen_attached() && trampgen_system_stack_top() == top, "the thread changed");
#ifdef REAL_SIGNALS
	sigaltstack(NULL, &after);
	CHECK(!(after.ss_flags & SS_DISABLE) && after.ss_sp == before.ss_sp, "the alternate stack changed");
#endif
	/* set_handler inside a handler (no deadlock), seen by the next fault. */
	trampgen_set_handler(FAULT_KIND, swap_inside, NULL);
	faulted_reading((volatile int *)0);
	faulted_reading((volatile int *)0);
	CHECK(swapped_calls == 1 && swapped_user_ok == 1, "after set_handler in a handler: %d calls, %d with its user",
	      swapped_calls, swapped_user_ok);
	/* Outside a handler, it works. */
	CHECK(trampgen_detach() == 0 && !trampgen_attached(), "detach outside the handler");
	return 0;
}

/* ---- a handler that leaves by siglongjmp ----------------------------------------- */

#ifdef POSIX_SIGNALS
#include <setjmp.h>
static sigjmp_buf out_of_handler;
#define LEAVE_HANDLER() siglongjmp(out_of_handler, 1)
#define SET_LEAVE() sigsetjmp(out_of_handler, 1)
#else
static void *out_of_handler[5];
#define LEAVE_HANDLER() LONGJMP(out_of_handler)
#define SET_LEAVE() __builtin_setjmp(out_of_handler)
#endif
static volatile int left_calls;

static trampgen_verdict leave_by_longjmp(trampgen_fault *f, void *user)
{
	(void)f;
	(void)user;
	left_calls++;
#if defined(__SANITIZE_ADDRESS__)
	__asan_handle_no_return();
#endif
	LEAVE_HANDLER();
	return TRAMPGEN_CONTINUE_SEARCH;
}

NOINLINE static int left_by_longjmp(void)
{
	if (SET_LEAVE() == 0) {
		sink = read_at((volatile int *)0);
		return 0;
	}
	return 1;
}

static int scenario_siglongjmp_out(void)
{
#if defined(_WIN32)
	printf("not applicable on %s: siglongjmp is POSIX's (a longjmp out of a vectored handler would "
	       "abandon the OS's exception dispatch)\n", platform_name);
	return NOT_APPLICABLE;
#endif
	CHECK(trampgen_attach(NULL, 0) == 0, "attach");
	trampgen_set_handler(FAULT_KIND, leave_by_longjmp, NULL);
	CHECK(left_by_longjmp() && left_calls == 1, "the handler did not leave by longjmp");
	/* Every later fault is still trampgen's, and handled. */
	trampgen_set_handler(FAULT_KIND, inject_recovery, NULL);
	for (int i = 0; i < 3; i++)
		faulted_reading((volatile int *)0);
	CHECK(seen.calls == 3 && seen.recovered == 3, "after the longjmp: %d handler calls, %d recoveries for 3 faults",
	      seen.calls, seen.recovered);
	CHECK(seen.next_calls == 0, "%d faults were passed on", seen.next_calls);
	/* Left again, then detach at once: the stale mark is no handler. */
	trampgen_set_handler(FAULT_KIND, leave_by_longjmp, NULL);
	CHECK(left_by_longjmp() && left_calls == 2, "the handler did not leave by longjmp");
	errno = 0;
	CHECK(trampgen_detach() == 0, "detach after a longjmp out of a handler: errno %d", errno);
	CHECK(trampgen_attach(NULL, 0) == 0, "attach after a longjmp out of a handler: errno %d", errno);
	trampgen_detach();
	return 0;
}

/* ---- chaining: what the previous action sees -------------------------------------- */

#ifdef REAL_SIGNALS
#include <sys/syscall.h>

static struct {
	int calls, trampgen_calls;
	int own_blocked, extra_blocked;
	int si_code, same_info, same_context, pc_in_read_at;
	uintptr_t fault_addr;
	void *info, *context;
} chained;

static trampgen_verdict note_and_pass(trampgen_fault *f, void *user)
{
	(void)user;
	chained.trampgen_calls++;
	chained.info = f->os_info;
	chained.context = f->context;
	return TRAMPGEN_CONTINUE_SEARCH;
}

static void previous_siginfo(int signo, siginfo_t *info, void *uctx)
{
	sigset_t now;
	uintptr_t fn_lo = (uintptr_t)read_at & ~(uintptr_t)TRAMPGEN_CODE_ADDRESS_TAG;
	uintptr_t pc = trampgen_context_pc(uctx);

	pthread_sigmask(SIG_BLOCK, NULL, &now);
	chained.calls++;
	chained.own_blocked = sigismember(&now, signo);
	chained.extra_blocked = sigismember(&now, SIGUSR2);
	chained.si_code = info->si_code;
	chained.fault_addr = (uintptr_t)info->si_addr;
	chained.same_info = (void *)info == chained.info;
	chained.same_context = uctx == chained.context;
	chained.pc_in_read_at = pc >= fn_lo && pc < fn_lo + 64;
	if (info->si_code > 0)
		trampgen_inject_call(uctx, (uintptr_t)landing, 0);
}

/* Replace the action before trampgen by one with these flags and mask. */
static void previous_is(void (*fn)(int, siginfo_t *, void *), int flags, int masked)
{
	struct sigaction sa;

	trampgen_uninstall();
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = fn;
	sa.sa_flags = SA_SIGINFO | flags;
	sigemptyset(&sa.sa_mask);
	if (masked)
		sigaddset(&sa.sa_mask, SIGUSR2);
	sigaction(SIGSEGV, &sa, NULL);
	if (trampgen_install() != 0)
		printf("  FAIL trampgen_install\n"), failures++;
}

static int chain_once(const char *what, int flags)
{
	sigset_t before, after;

	memset(&chained, 0, sizeof chained);
	previous_is(previous_siginfo, flags, 1);
	pthread_sigmask(SIG_SETMASK, NULL, &before);
	if (!faulted_reading((volatile int *)0))
		return 1;
	pthread_sigmask(SIG_SETMASK, NULL, &after);
	printf("  %s: previous handler calls %d, own signal blocked %d, sa_mask signal blocked %d\n", what,
	       chained.calls, chained.own_blocked, chained.extra_blocked);
	CHECK(chained.trampgen_calls == 1 && chained.calls == 1, "%s: trampgen %d, previous %d calls", what,
	      chained.trampgen_calls, chained.calls);
	CHECK(chained.extra_blocked == 1, "%s: its sa_mask was not applied", what);
	CHECK(chained.si_code > 0 && chained.fault_addr == 0 && chained.same_info && chained.same_context &&
	      chained.pc_in_read_at, "%s: not the kernel's siginfo and context (code %d, addr %#lx, same %d %d, pc %d)",
	      what, chained.si_code, (unsigned long)chained.fault_addr, chained.same_info, chained.same_context,
	      chained.pc_in_read_at);
	for (int s = 1; s < 32; s++)
		CHECK(sigismember(&before, s) == sigismember(&after, s), "%s: signal %d %s blocked after", what, s,
		      sigismember(&after, s) ? "is now" : "is no longer");
	return 0;
}
#endif

static int scenario_chained_mask(void)
{
#ifdef REAL_SIGNALS
	attach();
	trampgen_set_handler(FAULT_KIND, note_and_pass, NULL);
	if (chain_once("plain", 0) != 0)
		return 1;
	CHECK(chained.own_blocked == 1, "SIGSEGV was not blocked in a handler without SA_NODEFER");
	if (chain_once("SA_NODEFER", SA_NODEFER) != 0)
		return 1;
	CHECK(chained.own_blocked == 0, "SIGSEGV was blocked in a handler with SA_NODEFER");
	return 0;
#else
	printf("not applicable on %s: signal dispositions are POSIX's\n", platform_name);
	return NOT_APPLICABLE;
#endif
}

#ifdef REAL_SIGNALS
/* Shared with children (MAP_SHARED survives the clone that starts them). */
static volatile int *shared;

static int make_shared(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -1;
	shared = p;
	memset(p, 0, 4096);
	return 0;
}

/* Returns without curing anything: the fault comes again at once. */
static void previous_resethand(int signo, siginfo_t *info, void *uctx)
{
	struct sigaction cur;

	(void)info;
	(void)uctx;
	shared[0]++;
	sigaction(signo, NULL, &cur);
	shared[1] = (cur.sa_flags & SA_SIGINFO) && (void *)cur.sa_sigaction == (void *)trampgen_signaltramp;
	shared[2] = cur.sa_handler == SIG_DFL;   /* the kernel keeps sa_flags */
}

static trampgen_verdict count_and_pass(trampgen_fault *f, void *user)
{
	(void)f;
	(void)user;
	shared[3]++;
	return TRAMPGEN_CONTINUE_SEARCH;
}

static void set_previous(void (*fn)(int, siginfo_t *, void *), int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = fn;
	sa.sa_flags = SA_SIGINFO | flags;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
}

static int child_resethand(void)
{
	set_previous(previous_resethand, SA_RESETHAND);
	attach();
	trampgen_install();
	trampgen_set_handler(FAULT_KIND, count_and_pass, NULL);
	sink = read_at((volatile int *)0);
	return 0;
}

static int child_plain_resethand(void)
{
	set_previous(previous_resethand, SA_RESETHAND);
	sink = read_at((volatile int *)0);
	return 0;
}
#endif

static int scenario_chained_resethand(void)
{
#ifdef REAL_SIGNALS
	struct child_end with, without;

	if (make_shared() != 0)
		return 1;
	/* A previous SA_RESETHAND handler that returns: called once, and the
	   second fault dies as the reset disposition makes it. */
	CHECK(platform_run_child("resethand", &with) == 0, "no child");
	printf("  with trampgen: previous handler called %d times, trampgen handler %d; %s\n", shared[0], shared[3],
	       with.signaled ? strsignal(with.signo) : "no signal");
	CHECK(!with.timed_out && with.signaled && with.signo == SIGSEGV, "with trampgen: signal %d, timed out %d",
	      with.signo, with.timed_out);
	CHECK(shared[0] == 1, "the SA_RESETHAND handler ran %d times", shared[0]);
	CHECK(shared[3] == 2, "trampgen's handler saw %d faults, expected 2", shared[3]);
	CHECK(shared[1] == 1, "the real disposition is no longer trampgen's inside the handler");
	memset((void *)shared, 0, 4096);
	CHECK(platform_run_child("plain_resethand", &without) == 0, "no child");
	CHECK(shared[0] == 1 && shared[2] == 1, "without trampgen: %d calls, reset %d", shared[0], shared[2]);
	CHECK(without.signaled == with.signaled && without.signo == with.signo, "without trampgen: signal %d",
	      without.signo);
	return 0;
#else
	printf("not applicable on %s: signal dispositions are POSIX's\n", platform_name);
	return NOT_APPLICABLE;
#endif
}

/* ---- a SIGSEGV someone sent is not a fault ----------------------------------------- */

#ifdef REAL_SIGNALS
static trampgen_verdict would_recover(trampgen_fault *f, void *user)
{
	if (shared)
		shared[3]++;
	seen.calls++;
	return inject_recovery(f, user);
}

static int child_sent_default(void)
{
	attach();
	trampgen_install();
	trampgen_set_handler(FAULT_KIND, would_recover, NULL);
	kill(getpid(), SIGSEGV);
	return 0;
}

/* SIG_IGN spelled with SA_SIGINFO in sa_flags (the union holds SIG_IGN
   either way; the kernel keeps SA_SIGINFO when SA_RESETHAND resets). */
static int child_sent_ignored_siginfo(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	attach();
	trampgen_install();
	trampgen_set_handler(FAULT_KIND, would_recover, NULL);
	kill(getpid(), SIGSEGV);
	return shared[3] == 0 ? 0 : 5;
}

static int child_sent_ignored(void)
{
	signal(SIGSEGV, SIG_IGN);
	attach();
	trampgen_install();
	trampgen_set_handler(FAULT_KIND, would_recover, NULL);
	kill(getpid(), SIGSEGV);
	syscall(SYS_tgkill, getpid(), (pid_t)syscall(SYS_gettid), SIGSEGV);
	return shared[3] == 0 ? 0 : 5;
}
#endif

static int scenario_sent_signal(void)
{
#ifdef REAL_SIGNALS
	struct child_end end;
	union sigval value;

	if (make_shared() != 0)
		return 1;
	attach();
	trampgen_set_handler(FAULT_KIND, would_recover, NULL);
	memset(&chained, 0, sizeof chained);
	previous_is(previous_siginfo, 0, 0);
	kill(getpid(), SIGSEGV);
	syscall(SYS_tgkill, getpid(), (pid_t)syscall(SYS_gettid), SIGSEGV);
	value.sival_int = 7;
	sigqueue(getpid(), SIGSEGV, value);
	printf("  kill, tgkill, sigqueue: previous handler %d calls, trampgen handler %d\n", chained.calls, seen.calls);
	CHECK(chained.calls == 3, "the previous handler got %d of 3 sent signals", chained.calls);
	CHECK(chained.si_code <= 0, "the last one had si_code %d", chained.si_code);
	CHECK(seen.calls == 0 && shared[3] == 0, "trampgen's handler ran %d times for sent signals", seen.calls);
	/* With SIG_DFL before trampgen: the death a sent SIGSEGV brings. */
	CHECK(platform_run_child("sent_default", &end) == 0, "no child");
	CHECK(!end.timed_out && end.signaled && end.signo == SIGSEGV, "sent to SIG_DFL: signal %d, exit %lu",
	      end.signo, end.exit_code);
	/* With SIG_IGN: still ignored. */
	CHECK(platform_run_child("sent_ignored", &end) == 0, "no child");
	CHECK(!end.timed_out && !end.signaled && end.exit_code == 0, "sent to SIG_IGN: signal %d, exit %lu",
	      end.signo, end.exit_code);
	CHECK(platform_run_child("sent_ignored_siginfo", &end) == 0, "no child");
	CHECK(!end.timed_out && !end.signaled && end.exit_code == 0,
	      "sent to SIG_IGN with SA_SIGINFO in its flags: signal %d, exit %lu", end.signo, end.exit_code);
	CHECK(shared[3] == 0, "trampgen's handler ran %d times in the children", shared[3]);
	return 0;
#else
	printf("not applicable on %s: sent signals are POSIX's\n", platform_name);
	return NOT_APPLICABLE;
#endif
}

/* ---- embedder mode: the runtime owns the signal handler ---------------------------- */

#ifdef REAL_SIGNALS
static struct {
	int calls, claimed, declined, untouched;
} embed;
static unsigned char embed_copy[TRAMPGEN_CONTEXT_SIZE];

static void embedder(int signo, siginfo_t *info, void *uctx)
{
	unsigned long n = platform_context_bytes(uctx);

	embed.calls++;
	memcpy(embed_copy, uctx, n);
	if (trampgen_try_handle(signo, info, uctx)) {
		embed.claimed++;
		return;
	}
	embed.declined++;
	embed.untouched += memcmp(embed_copy, uctx, n) == 0;
	if (info->si_code > 0)
		trampgen_inject_call(uctx, (uintptr_t)landing, 0);   /* the embedder's own recovery */
}

static trampgen_verdict decline(trampgen_fault *f, void *user)
{
	(void)f;
	(void)user;
	seen.calls++;
	return TRAMPGEN_CONTINUE_SEARCH;
}
#endif

static int scenario_try_handle(void)
{
#ifdef REAL_SIGNALS
	struct sigaction sa, cur;

	trampgen_uninstall();
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = embedder;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	CHECK(trampgen_check_handlers(NULL, 0) == 0, "check_handlers while not installed");

	/* Claimed: trampgen's handler injects a call, resumed via sigresume. */
	setup_inject();
	if (!faulted_reading((volatile int *)0))
		return 1;
	CHECK(embed.calls == 1 && embed.claimed == 1, "claimed: %d calls, %d claimed", embed.calls, embed.claimed);
	check_injected(TRAMPGEN_FAULT_ACCESS, 1, 0);

	/* Declined by the handler: 0, the context untouched. */
	memset(&seen, 0, sizeof seen);
	memset(&embed, 0, sizeof embed);
	trampgen_set_handler(FAULT_KIND, decline, NULL);
	if (!faulted_reading((volatile int *)0))
		return 1;
	CHECK(seen.calls == 1 && embed.declined == 1 && embed.untouched == 1,
	      "declined: handler %d, declined %d, untouched %d", seen.calls, embed.declined, embed.untouched);
	CHECK(seen.next_calls == 0, "the next handler ran");

	/* An unattached thread, and a sent signal: 0, no handler call. */
	memset(&seen, 0, sizeof seen);
	memset(&embed, 0, sizeof embed);
	trampgen_set_handler(FAULT_KIND, inject_recovery, NULL);
	trampgen_detach();
	faulted_reading((volatile int *)0);
	attach();
	kill(getpid(), SIGSEGV);
	CHECK(embed.calls == 2 && embed.declined == 2 && embed.untouched == 2 && seen.calls == 0,
	      "unattached and sent: %d calls, %d declined, %d untouched, handler %d", embed.calls, embed.declined,
	      embed.untouched, seen.calls);
	/* Nothing was installed. */
	sigaction(SIGSEGV, NULL, &cur);
	CHECK((void *)cur.sa_sigaction == (void *)embedder, "the embedder's handler was replaced");
	return 0;
#else
	printf("not applicable on %s: trampgen_try_handle takes a signal's arguments%s\n", platform_name,
	       "; the Windows equivalent is tested by the Windows build");
	return NOT_APPLICABLE;
#endif
}

/* ---- someone installs over trampgen ------------------------------------------------- */

#ifdef REAL_SIGNALS
static void other_handler(int signo)
{
	(void)signo;
}
#endif

static int scenario_check_handlers(void)
{
#ifdef REAL_SIGNALS
	struct sigaction sa, saved, cur;
	int lost[8] = { 0 }, n;

	CHECK(trampgen_check_handlers(lost, 8) == 0, "lost signals right after install");
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = other_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &saved);
	n = trampgen_check_handlers(lost, 8);
	CHECK(n == 1 && lost[0] == SIGBUS, "%d lost, the first %d (SIGBUS is %d)", n, lost[0], SIGBUS);
	CHECK(trampgen_check_handlers(NULL, 0) == 1, "count without a buffer");
	/* Uninstall leaves the one installed over trampgen alone. */
	trampgen_uninstall();
	sigaction(SIGBUS, NULL, &cur);
	CHECK(cur.sa_handler == other_handler, "uninstall replaced the handler installed over trampgen");
	CHECK(trampgen_check_handlers(lost, 8) == 0, "lost signals while not installed");
	sigaction(SIGBUS, &saved, NULL);
	CHECK(trampgen_install() == 0 && trampgen_check_handlers(lost, 8) == 0, "after reinstalling");
	return 0;
#else
	/* Vectored handlers cannot be displaced: always 0. */
	CHECK(trampgen_check_handlers(NULL, 0) == 0, "check_handlers on %s", platform_name);
	return 0;
#endif
}

/* ---- install: idempotent, never its own previous --------------------------------- */

#ifdef REAL_SIGNALS
static int child_install_over_self(void)
{
	struct sigaction sa;

	/* trampgen's own entry, put back by someone (a saved copy): installing
	   must not take it for the previous handler, or an unclaimed fault
	   would loop forever. */
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = (void (*)(int, siginfo_t *, void *))(void (*)(void))trampgen_signaltramp;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	trampgen_install();
	trampgen_install();
	sink = read_at((volatile int *)0);
	return 0;
}
#endif

static int scenario_install_twice(void)
{
#ifdef REAL_SIGNALS
	struct child_end end;
	struct sigaction cur;

	CHECK(trampgen_install() == 0 && trampgen_install() == 0, "install again");
	trampgen_uninstall();
	trampgen_uninstall();
	sigaction(SIGSEGV, NULL, &cur);
	CHECK((cur.sa_flags & SA_SIGINFO) && (void *)cur.sa_sigaction != (void *)trampgen_signaltramp,
	      "after installing twice and uninstalling, trampgen's entry is still there");
	CHECK(trampgen_install() == 0, "install");
	expect_death("install_over_self", &end);
	CHECK(end.signo == SIGSEGV, "signal %d", end.signo);
	return 0;
#else
	printf("not applicable on %s: signal dispositions are POSIX's\n", platform_name);
	return NOT_APPLICABLE;
#endif
}

/* ---- uninstall while a fault is in trampgen on another thread --------------------- */

#ifdef REAL_SIGNALS
#include <sched.h>
static volatile int *race_page;
static volatile int race_in_handler, race_uninstalled, race_previous_calls;

static trampgen_verdict wait_for_uninstall(trampgen_fault *f, void *user)
{
	(void)f;
	(void)user;
	__atomic_store_n(&race_in_handler, 1, __ATOMIC_RELEASE);
	for (long i = 0; i < 100000000 && !__atomic_load_n(&race_uninstalled, __ATOMIC_ACQUIRE); i++)
		sched_yield();
	return TRAMPGEN_CONTINUE_SEARCH;
}

static void previous_unprotects(int signo, siginfo_t *info, void *uctx)
{
	(void)signo;
	(void)uctx;
	__atomic_add_fetch(&race_previous_calls, 1, __ATOMIC_RELAXED);
	if ((uintptr_t)info->si_addr == (uintptr_t)race_page)
		platform_page_protect((void *)race_page, 1);
}

static void *race_thread(void *arg)
{
	(void)arg;
	attach();
	write_at(race_page, 7);
	trampgen_detach();
	return NULL;
}
#endif

static int scenario_uninstall_during_fault(void)
{
#ifdef REAL_SIGNALS
	pthread_t t;
	struct sigaction cur;
	const char *no_threads = platform_threads_unavailable();

	if (no_threads != NULL) {
		printf("not applicable here: %s\n", no_threads);
		return NOT_APPLICABLE;
	}
	race_page = platform_page_alloc();
	platform_page_protect((void *)race_page, 0);
	previous_is(previous_unprotects, 0, 0);
	trampgen_set_handler(FAULT_KIND, wait_for_uninstall, NULL);
	CHECK(pthread_create(&t, NULL, race_thread, NULL) == 0, "no thread");
	for (long i = 0; i < 100000000 && !__atomic_load_n(&race_in_handler, __ATOMIC_ACQUIRE); i++)
		sched_yield();
	CHECK(race_in_handler, "the thread's fault never reached trampgen");
	/* The fault is inside trampgen now: remove trampgen under it. */
	trampgen_uninstall();
	__atomic_store_n(&race_uninstalled, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	CHECK(race_previous_calls == 1 && race_page[0] == 7, "previous handler %d calls, the write %s",
	      race_previous_calls, race_page[0] == 7 ? "completed" : "did not complete");
	sigaction(SIGSEGV, NULL, &cur);
	CHECK((void *)cur.sa_sigaction == (void *)previous_unprotects, "uninstall did not restore the previous handler");
	return 0;
#else
	printf("not applicable on %s: signal dispositions are POSIX's\n", platform_name);
	return NOT_APPLICABLE;
#endif
}

/* ---- threads that exit attached ------------------------------------------------------ */

#ifdef POSIX_SIGNALS
static void *attach_and_exit(void *arg)
{
	if (trampgen_attach(NULL, 0) != 0)
		__atomic_add_fetch((int *)arg, 1, __ATOMIC_RELAXED);
	return NULL;           /* no detach */
}

static int run_exiting_threads(int n, int *failed)
{
	pthread_t t;

	for (int i = 0; i < n; i++) {
		if (pthread_create(&t, NULL, attach_and_exit, failed) != 0)
			return -1;
		pthread_join(t, NULL);
	}
	return 0;
}
#endif

static int scenario_thread_exit(void)
{
#if defined(POSIX_SIGNALS) && defined(HAVE_MAPS)
	int failed = 0, before, after;
	const char *no_threads = platform_threads_unavailable();

	if (no_threads != NULL) {
		printf("not applicable here: %s\n", no_threads);
		return NOT_APPLICABLE;
	}
	/* One first, so that the thread stack cache is warm. */
	CHECK(run_exiting_threads(1, &failed) == 0, "no thread");
	before = mapping_count();
	CHECK(run_exiting_threads(200, &failed) == 0, "no thread");
	after = mapping_count();
	printf("  mappings: %d before 200 threads exited attached, %d after\n", before, after);
	CHECK(failed == 0, "%d attaches failed", failed);
	CHECK(after <= before + 2, "%d mappings left behind", after - before);
	return 0;
#else
	printf("not applicable on %s: thread exit is tested where threads are POSIX's\n", platform_name);
	return NOT_APPLICABLE;
#endif
}

/* ---- driver ---------------------------------------------------------------- */

static const struct child {
	const char *name;
	int (*run)(void);
} children[] = {
	{ "unattached_fault", child_unattached_fault },
	{ "plain_fault", child_plain_fault },
	{ "nested_fault", child_nested_fault },
#ifdef POSIX_SIGNALS
	{ "probe_threads", platform_probe_threads },
#endif
#ifdef REAL_SIGNALS
	{ "nested_with_previous", child_nested_with_previous },
	{ "unattached_trap", child_unattached_trap },
	{ "plain_trap", child_plain_trap },
	{ "unattached_illegal", child_unattached_illegal },
	{ "plain_illegal", child_plain_illegal },
	{ "resethand", child_resethand },
	{ "plain_resethand", child_plain_resethand },
	{ "sent_default", child_sent_default },
	{ "sent_ignored", child_sent_ignored },
	{ "sent_ignored_siginfo", child_sent_ignored_siginfo },
	{ "install_over_self", child_install_over_self },
	{ "previous_plain", child_previous_plain },
	{ "previous_ignore", child_previous_ignore },
	{ "plain_ignore", child_plain_ignore },
#endif
};

int suite_child(const char *name)
{
	/* A child starts as a process would: no trampgen, no previous handler. */
	trampgen_uninstall();
	trampgen_detach();
	for (int k = 0; k < TRAMPGEN_KIND_LIMIT; k++)
		trampgen_set_handler(k, NULL, NULL);
	platform_child_prepare();
	for (unsigned i = 0; i < sizeof children / sizeof children[0]; i++)
		if (strcmp(children[i].name, name) == 0)
			return children[i].run();
	return 99;
}

static const struct scenario scenarios[] = {
	{ "null_read", scenario_null_read },
	{ "null_write", scenario_null_write },
	{ "divide_by_zero", scenario_divide_by_zero },
	{ "breakpoint", scenario_breakpoint },
	{ "illegal_instruction", scenario_illegal_instruction },
	{ "write_protected", scenario_write_protected },
	{ "unattached", scenario_unattached },
	{ "continue_handlers", scenario_continue_handlers },
	{ "resume_guard", scenario_resume_guard },
	{ "unattached_default", scenario_unattached_default },
	{ "nested_fault", scenario_nested_fault },
	{ "previous_dispositions", scenario_previous_dispositions },
	{ "uninstall", scenario_uninstall },
	{ "errno_and_mask", scenario_errno_and_mask },
	{ "syscall_efault", scenario_syscall_efault },
	{ "concurrent", scenario_concurrent },
	{ "stack_overflow", scenario_stack_overflow },
	{ "attach_altstack", scenario_attach_altstack },
	{ "attach_einval", scenario_attach_einval },
	{ "attach_default", scenario_attach_default },
	{ "reattach", scenario_reattach },
	{ "detach_in_handler", scenario_detach_in_handler },
	{ "siglongjmp_out", scenario_siglongjmp_out },
	{ "chained_mask", scenario_chained_mask },
	{ "chained_resethand", scenario_chained_resethand },
	{ "sent_signal", scenario_sent_signal },
	{ "try_handle", scenario_try_handle },
	{ "check_handlers", scenario_check_handlers },
	{ "install_twice", scenario_install_twice },
	{ "uninstall_during_fault", scenario_uninstall_during_fault },
	{ "thread_exit", scenario_thread_exit },
};

int main(int argc, char **argv)
{
	const struct scenario *s = NULL;
	int rc;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc == 2 && strncmp(argv[1], "child:", 6) == 0)
		return suite_child(argv[1] + 6);
	s = scenario_named(scenarios, sizeof scenarios / sizeof scenarios[0], argc, argv, &rc);
	if (s == NULL)
		return rc;
	printf("%s on %s (%s)\n", s->name, TRAMPGEN_TARGET, platform_name);
	platform_set_next_handler(next_redirects);
	if (trampgen_install() != 0) {
		printf("FAIL trampgen_install\n");
		return 1;
	}
	rc = s->run();
	trampgen_uninstall();
	return scenario_status(s->name, rc);
}
