/*
 * trampgen runtime: turn hardware faults into controlled transfers.
 *
 * A thread that wants its faults handled attaches itself (with the stack that
 * resumes are routed through), handlers are registered per kind, and the OS
 * backend installs the generated entry trampolines. When a fault arrives on
 * an attached thread, the dispatcher calls the handler for the entry's kind
 * with a trampgen_fault; the handler may edit the context (inject a call,
 * move the PC) and returns a verdict.
 *
 * Everything a handler can call from here is async-signal-safe.
 */
#ifndef TRAMPGEN_H
#define TRAMPGEN_H

#include <stddef.h>
#include <stdint.h>

#include "trampgen_target.h" /* out/<target>/: kinds, context stubs */

#ifdef __cplusplus
extern "C" {
#endif

typedef enum trampgen_verdict {
	/* Not ours: the OS goes on to the next handler (Windows), or the
	   handler installed before trampgen, or the default action (POSIX). */
	TRAMPGEN_CONTINUE_SEARCH = 0,
	/* Resume the context, routed through trampgen_sigresume on the thread's
	   system stack (as Go's runtime does). The resume scratch registers are
	   dead afterwards: use it after trampgen_inject_call, or for any PC whose
	   code does not read them. */
	TRAMPGEN_CONTINUE_EXECUTION = 1,
	/* Resume the context exactly as it stands, every register intact: for
	   retrying the faulting instruction after fixing its cause. */
	TRAMPGEN_CONTINUE_EXACT = 2,
} trampgen_verdict;

/* What went wrong, the same on every OS. */
typedef enum trampgen_fault_class {
	TRAMPGEN_FAULT_OTHER = 0,
	TRAMPGEN_FAULT_ACCESS,        /* bad memory access; address is the data address */
	TRAMPGEN_FAULT_DIVIDE,        /* integer divide by zero */
	TRAMPGEN_FAULT_BREAKPOINT,    /* breakpoint instruction */
	TRAMPGEN_FAULT_ILLEGAL,       /* undefined / illegal instruction */
	TRAMPGEN_FAULT_STACK_OVERFLOW /* Windows reports this apart from ACCESS */
} trampgen_fault_class;

typedef struct trampgen_fault {
	int kind;                     /* TRAMPGEN_KIND_*: which entry the OS called */
	trampgen_fault_class fault_class;
	uint32_t code;                /* Windows exception code, or POSIX signal number */
	int detail;                   /* POSIX si_code; Windows: 1 for a write, 0 for a read, 8 for execute */
	uintptr_t pc;                 /* PC in the context when the handler was called */
	uintptr_t address;            /* data address of an ACCESS fault, else 0 */
	void *context;                /* the OS context record (CONTEXT, ucontext_t) */
	void *os_info;                /* EXCEPTION_RECORD, or siginfo_t */
} trampgen_fault;

typedef trampgen_verdict (*trampgen_handler)(trampgen_fault *fault, void *user);

/* Attach the calling thread. Resumes with TRAMPGEN_CONTINUE_EXECUTION pass
   through the top of [system_stack, system_stack + size); NULL means the
   thread's own OS stack. On POSIX this also gives the thread an alternate
   signal stack with a guard page. Returns 0, or -1 (errno set). */
int trampgen_attach(void *system_stack, size_t size);
/* Detach the calling thread: its faults reach the next handler untouched. */
void trampgen_detach(void);
int trampgen_attached(void);

/* Handler for one kind (NULL: none, faults of that kind are not claimed).
   Change handlers only while no fault of that kind can be in flight. */
int trampgen_set_handler(int kind, trampgen_handler fn, void *user);

/* Install / remove the generated entry trampolines with the OS. */
int trampgen_install(void);
void trampgen_uninstall(void);

/* The top of the calling thread's system stack (0 when not attached). */
uintptr_t trampgen_system_stack_top(void);

#ifdef __cplusplus
}
#endif

#endif /* TRAMPGEN_H */
