/*
 * trampgen demo: three faults, each turned into a controlled transfer by the
 * generated trampolines and the shared dispatcher, on the host target.
 *
 *   1. a null read: the handler injects a call to recover(), as if the
 *      faulting instruction had called it; the resume is routed through
 *      trampgen_sigresume on the thread's system stack;
 *   2. an integer division by zero (where the ISA traps): the same;
 *   3. a write to a read-only page: the handler makes the page writable and
 *      resumes the faulting instruction exactly, which then completes.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "trampgen.h"

static void *jump_back[5];
static volatile int *page;
static int handled, recovered;

__attribute__((noinline)) static int read_at(volatile int *p) { return *p; }
__attribute__((noinline)) static int divide(volatile int a, volatile int b) { return a / b; }

static const char *fault_name(trampgen_fault_class c)
{
	switch (c) {
	case TRAMPGEN_FAULT_ACCESS: return "access violation";
	case TRAMPGEN_FAULT_DIVIDE: return "integer divide by zero";
	case TRAMPGEN_FAULT_BREAKPOINT: return "breakpoint";
	case TRAMPGEN_FAULT_ILLEGAL: return "illegal instruction";
	default: return "fault";
	}
}

/* Runs in normal context, on the faulting thread's stack. */
static void TRAMPGEN_ABI_CC recover(uintptr_t what)
{
	recovered++;
	printf("demo:   recover(%s) running at sp %p, returning to the faulting pc %p if it returned\n",
	       fault_name((trampgen_fault_class)what), __builtin_frame_address(0),
	       __builtin_return_address(0));
	__builtin_longjmp(jump_back, 1);
}

/* Runs inside the signal handler: async-signal-safe work only. */
static trampgen_verdict on_fault(trampgen_fault *f, void *user)
{
	(void)user;
	handled++;
	if (page != NULL && f->fault_class == TRAMPGEN_FAULT_ACCESS && f->address == (uintptr_t)page) {
		mprotect((void *)page, (size_t)sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE);
		return TRAMPGEN_CONTINUE_EXACT;
	}
	trampgen_inject_call(f->context, (uintptr_t)recover, (uintptr_t)f->fault_class);
	return TRAMPGEN_CONTINUE_EXECUTION;
}

int main(void)
{
	printf("demo: trampgen %s, handlers for SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP\n", TRAMPGEN_TARGET);
	if (trampgen_attach(NULL, 0) != 0 || trampgen_install() != 0) {
		perror("demo: trampgen");
		return 1;
	}
	trampgen_set_handler(TRAMPGEN_KIND_SIGNAL, on_fault, NULL);

	printf("demo: reading address 0\n");
	if (__builtin_setjmp(jump_back) == 0)
		printf("demo:   read returned %d (unexpected)\n", read_at((volatile int *)0));
	printf("demo:   back in main\n");

	printf("demo: dividing 7 by 0\n");
	if (__builtin_setjmp(jump_back) == 0)
		printf("demo:   7 / 0 = %d (this ISA does not trap on division)\n", divide(7, 0));
	printf("demo:   back in main\n");

	page = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("demo: writing 42 to read-only page %p\n", (void *)page);
	page[0] = 42;
	printf("demo:   the write completed after the handler unprotected the page: %d\n", page[0]);

	trampgen_uninstall();
	trampgen_detach();
	printf("demo: %d faults handled, %d recovered by an injected call, 1 resumed exactly\n", handled, recovered);
	return handled == 3 && recovered == 2 ? 0 : 1;
}
