/*
 * Harness self-test: the whole pipeline once, on every harness ISA.
 *
 *  1. attached thread: a null read -> harness (playing Windows) -> the
 *     generated VEH trampoline -> dispatcher -> our handler, which injects
 *     recover(0x1234); the first continue handler runs and keeps the
 *     prepared resume; the OS resumes at trampgen_sigresume on the system
 *     stack, which moves to the faulting stack and into recover.
 *  2. detached thread: the same fault reaches the harness's next handler
 *     with the context untouched and without calling trampgen's handler.
 *  3. nobody handles it: the process ends with HARNESS_UNHANDLED_STATUS and
 *     one line on stderr.
 *
 * One line per check; exit status 1 if any failed.
 */
#define _GNU_SOURCE
#include "emulation.h"   /* generated: the breakpoint instruction, HARNESS_ACCESS_KIND_EXACT */
#include "harness.h"
#include "trampgen.h"

#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define CODE_MASK (~(uintptr_t)TRAMPGEN_CODE_ADDRESS_TAG)

static int failures;

static void check(int ok, const char *what)
{
	printf("%s %s\n", ok ? "ok  " : "FAIL", what);
	if (!ok)
		failures++;
}

static unsigned char system_stack[64 * 1024] __attribute__((aligned(16)));
static sigjmp_buf back;
static volatile int *volatile null_ptr;

/* What the handlers saw. */
static volatile uintptr_t fault_pc, fault_sp, fault_address, fault_exception_address;
static volatile uint32_t fault_code;
static uintptr_t read_fault_pc;      /* the null read's load, for the detached test */
static volatile int fault_detail, fault_class;
static volatile int veh_handler_calls, vch_handler_calls, vch_saw_sigresume;
/* What recover saw. */
static volatile uintptr_t rec_arg, rec_ret, rec_local, rec_resume_pc, rec_resume_sp;
/* What the next handler and recover_unattached saw. */
static volatile uintptr_t next_pc, next_exception_address, unatt_arg, unatt_ret, unatt_resume_pc;
static volatile uint32_t next_code;

__attribute__((noinline)) static int read_null(void)
{
	return *null_ptr;
}

__attribute__((noinline)) static void write_null(void)
{
	*null_ptr = 1;
}

/* Entered by the injected call, as if read_null's load had called it. */
__attribute__((noinline, noreturn)) static HARNESS_WINAPI void recover(uintptr_t arg)
{
	volatile int local = 0;

	rec_arg = arg;
	rec_ret = (uintptr_t)__builtin_return_address(0) & CODE_MASK;
	rec_local = (uintptr_t)&local;
	rec_resume_pc = harness_last_resume_pc;
	rec_resume_sp = harness_last_resume_sp;
	siglongjmp(back, 1);
}

__attribute__((noinline, noreturn)) static HARNESS_WINAPI void recover_unattached(uintptr_t arg)
{
	unatt_arg = arg;
	unatt_ret = (uintptr_t)__builtin_return_address(0) & CODE_MASK;
	unatt_resume_pc = harness_last_resume_pc;
	siglongjmp(back, 2);
}

static trampgen_verdict on_veh(trampgen_fault *f, void *user)
{
	const harness_exception_record *rec = f->os_info;

	(void)user;
	veh_handler_calls++;
	if (f->fault_class != TRAMPGEN_FAULT_ACCESS)
		return TRAMPGEN_CONTINUE_SEARCH;
	fault_pc = f->pc;
	fault_sp = trampgen_context_sp(f->context);
	fault_address = f->address;
	fault_code = f->code;
	fault_detail = f->detail;
	fault_class = f->fault_class;
	fault_exception_address = (uintptr_t)rec->ExceptionAddress;
	trampgen_inject_call(f->context, (uintptr_t)recover, 0x1234);
	return TRAMPGEN_CONTINUE_EXECUTION;
}

static trampgen_verdict on_first_vch(trampgen_fault *f, void *user)
{
	(void)user;
	vch_handler_calls++;
	vch_saw_sigresume = f->pc == trampgen_sigresume_pc();
	return TRAMPGEN_CONTINUE_EXECUTION;
}

/* A vectored handler registered after trampgen's. */
static int32_t next_handler(void *exception_pointers)
{
	harness_exception_pointers *ep = exception_pointers;

	next_pc = trampgen_context_pc(ep->ContextRecord);
	next_exception_address = (uintptr_t)ep->ExceptionRecord->ExceptionAddress;
	next_code = ep->ExceptionRecord->ExceptionCode;
	trampgen_inject_call(ep->ContextRecord, (uintptr_t)recover_unattached, 0x5678);
	return -1;   /* EXCEPTION_CONTINUE_EXECUTION */
}

static void attached(void)
{
	unsigned long veh0 = harness_veh_calls, first0 = harness_first_vch_calls, last0 = harness_last_vch_calls;
	char line[160];

	if (sigsetjmp(back, 1) == 0) {
		read_null();
		check(0, "attached: the null read came back instead of reaching recover");
		return;
	}
	read_fault_pc = fault_pc;
	check(fault_class == TRAMPGEN_FAULT_ACCESS && fault_code == 0xC0000005u,
	      "attached: handler saw an access violation (0xC0000005)");
	check(fault_address == 0, "attached: fault->address == 0");
	check(fault_detail == 0, "attached: ExceptionInformation[0] == 0 (read)");
	check(fault_exception_address == fault_pc, "attached: ExceptionAddress == context PC");
	check(rec_arg == 0x1234, "attached: recover got its argument 0x1234");
	snprintf(line, sizeof line, "attached: recover's return address == fault PC (0x%lx, 0x%lx)",
	         (unsigned long)rec_ret, (unsigned long)(fault_pc & CODE_MASK));
	check(rec_ret == (fault_pc & CODE_MASK), line);
	check(rec_resume_pc == trampgen_sigresume_pc(), "attached: OS resumed at trampgen_sigresume");
	snprintf(line, sizeof line, "attached: OS resumed on the system stack top (0x%lx, 0x%lx)",
	         (unsigned long)rec_resume_sp, (unsigned long)trampgen_system_stack_top());
	check(rec_resume_sp == trampgen_system_stack_top(), line);
	snprintf(line, sizeof line, "attached: recover ran just below the faulting SP (local 0x%lx, sp 0x%lx)",
	         (unsigned long)rec_local, (unsigned long)fault_sp);
	check(rec_local < fault_sp && fault_sp - rec_local < 4096, line);
	check(vch_handler_calls == 1 && vch_saw_sigresume,
	      "attached: first continue handler ran on the prepared (sigresume) context");
	check(harness_veh_calls == veh0 + 1 && harness_first_vch_calls == first0 + 1,
	      "attached: one VEH and one first-VCH call");
	check(harness_last_vch_calls == last0,
	      "attached: last VCH not called (the first returned CONTINUE_EXECUTION)");
}

/* Read or write: the harness tells them apart where the ucontext says
   (the fault syndrome [harness_host].access names); qemu-user does not
   always say, and then Windows' answer cannot be reproduced. */
static void attached_write(void)
{
	char line[120];

	fault_detail = -1;
	if (sigsetjmp(back, 1) == 0) {
		write_null();
		check(0, "write: the null write came back instead of reaching recover");
		return;
	}
	snprintf(line, sizeof line, "write: ExceptionInformation[0] == %d (1 = write, 0 = not told)", fault_detail);
	if (HARNESS_ACCESS_KIND_EXACT)
		check(fault_detail == 1, line);   /* a native kernel: the syndrome is exact */
	else
		check(fault_detail == 1 || fault_detail == 0, line);
}

/* A breakpoint as Windows reports it: code 0x80000003 with the PC on the
   breakpoint instruction itself (Linux may report it past it, or as SIGILL:
   [harness].breakpoint). The handler steps over it and resumes exactly. */
#define BREAKPOINT_INSN HARNESS_BREAKPOINT_INSN
#define BREAKPOINT_LEN HARNESS_BREAKPOINT_LEN
#define BREAKPOINT_IS(p) HARNESS_BREAKPOINT_AT(p)

static volatile int bp_seen, bp_at_insn;
static volatile uint32_t bp_code;

static trampgen_verdict on_breakpoint(trampgen_fault *f, void *user)
{
	(void)user;
	if (f->fault_class != TRAMPGEN_FAULT_BREAKPOINT)
		return TRAMPGEN_CONTINUE_SEARCH;
	bp_seen++;
	bp_code = f->code;
	bp_at_insn = BREAKPOINT_IS(f->pc);
	trampgen_context_set_pc(f->context, f->pc + BREAKPOINT_LEN);
	return TRAMPGEN_CONTINUE_EXACT;
}

static void breakpoint(void)
{
	/* The first-VCH handler would turn the exact resume into one through
	   sigresume; leave it out here. */
	trampgen_set_handler(TRAMPGEN_KIND_FIRST_VCH, NULL, NULL);
	trampgen_set_handler(TRAMPGEN_KIND_VEH, on_breakpoint, NULL);
	__asm__ volatile(BREAKPOINT_INSN ::: "memory");
	trampgen_set_handler(TRAMPGEN_KIND_VEH, on_veh, NULL);
	trampgen_set_handler(TRAMPGEN_KIND_FIRST_VCH, on_first_vch, NULL);
	check(bp_seen == 1 && bp_code == 0x80000003u, "breakpoint: handler saw one breakpoint (0x80000003)");
	check(bp_at_insn, "breakpoint: PC on the breakpoint instruction, as Windows reports it");
}

static void detached(void)
{
	int veh_before = veh_handler_calls;
	unsigned long last0 = harness_last_vch_calls;

	trampgen_detach();
	check(!trampgen_attached(), "detached: trampgen_attached() == 0");
	harness_set_next_handler(next_handler);
	if (sigsetjmp(back, 1) == 0) {
		read_null();
		check(0, "detached: the null read came back instead of reaching the next handler");
		return;
	}
	harness_set_next_handler(NULL);
	check(veh_handler_calls == veh_before, "detached: trampgen's handler was not called");
	check(next_code == 0xC0000005u, "detached: next handler got the access violation");
	check(next_pc == next_exception_address && next_pc == read_fault_pc,
	      "detached: next handler saw the context PC untouched (the faulting load)");
	check(unatt_arg == 0x5678 && unatt_ret == (read_fault_pc & CODE_MASK),
	      "detached: the next handler's injected call ran");
	check(unatt_resume_pc == ((uintptr_t)recover_unattached & CODE_MASK),
	      "detached: resumed directly, not through sigresume");
	check(harness_last_vch_calls == last0 + 1, "detached: last VCH called after the first declined");
}

static void unhandled(void)
{
	int fds[2], status = 0;
	char buf[256];
	ssize_t n, got = 0;
	pid_t pid;
	static const char want[] = "harness: unhandled exception 0xc0000005 at pc 0x";

	if (pipe(fds) != 0) {
		check(0, "unhandled: pipe");
		return;
	}
	fflush(stdout);
	/* A plain fork by the raw system call: glibc's fork() never returns in
	   the child under some qemu-user 7.2 emulators (it hangs after set_robust_list fails
	   with ENOSYS). With no stack and no TLS arguments, clone's argument
	   order, which differs between ISAs, does not matter. The child only
	   makes system calls and faults. */
	pid = (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	if (pid == 0) {
		dup2(fds[1], 2);
		close(fds[0]);
		harness_set_next_handler(NULL);
		read_null();
		_exit(0);
	}
	close(fds[1]);
	while (got < (ssize_t)sizeof buf - 1 && (n = read(fds[0], buf + got, sizeof buf - 1 - (size_t)got)) > 0)
		got += n;
	buf[got] = 0;
	close(fds[0]);
	waitpid(pid, &status, 0);
	check(WIFEXITED(status) && WEXITSTATUS(status) == HARNESS_UNHANDLED_STATUS,
	      "unhandled: process exited with HARNESS_UNHANDLED_STATUS (3)");
	check(strncmp(buf, want, sizeof want - 1) == 0, "unhandled: one line on stderr names the exception");
	printf("     (child said: %s)\n", strtok(buf, "\n") ? buf : "");
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("harness smoke test: %s\n", TRAMPGEN_TARGET);
	check(trampgen_attach(system_stack, sizeof system_stack) == 0, "trampgen_attach(system stack)");
	check(trampgen_set_handler(TRAMPGEN_KIND_VEH, on_veh, NULL) == 0, "set VEH handler");
	check(trampgen_set_handler(TRAMPGEN_KIND_FIRST_VCH, on_first_vch, NULL) == 0, "set first-VCH handler");
	check(trampgen_install() == 0, "trampgen_install");

	attached();
	attached_write();
	breakpoint();
	detached();
	unhandled();

	trampgen_uninstall();
	printf("%s: %d failure(s)\n", failures ? "FAILED" : "PASSED", failures);
	return failures ? 1 : 0;
}
