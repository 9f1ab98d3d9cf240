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
   through the top of the thread's system stack, and a signal that arrives
   while a resume is there pushes its frame on it, so a system stack is
   memory nothing else uses:
   - system_stack == NULL: trampgen maps one for the thread, `size` bytes
     (0: TRAMPGEN_SYSTEM_STACK_DEFAULT) rounded up to whole pages, above an
     inaccessible guard page; it is freed at detach or when the thread exits.
   - otherwise [system_stack, system_stack + size) is the caller's memory,
     which must stay valid and otherwise unused while the thread is
     attached. It must not wrap, and its top, aligned down to
     TRAMPGEN_STACK_ALIGNMENT, must leave at least
     trampgen_system_stack_min() bytes above system_stack.
   On POSIX this also gives the thread an alternate signal stack with a guard
   page (a thread that already has one keeps it), sized from the kernel's
   minimum signal frame (AT_MINSIGSTKSZ) plus what the dispatcher needs.
   Attaching an attached thread replaces its system stack (freeing one
   trampgen mapped) and keeps its alternate stack. Thread exit detaches.
   Returns 0, or -1 with errno: EINVAL (a range as above, or a size below the
   minimum), ENOMEM, EBUSY (called from inside a handler). */
int trampgen_attach(void *system_stack, size_t size);
#define TRAMPGEN_SYSTEM_STACK_DEFAULT ((size_t)64 * 1024)
/* The smallest system stack trampgen_attach accepts: one signal frame of
   this machine's kernel (POSIX), with room to spare. */
size_t trampgen_system_stack_min(void);
/* Detach the calling thread: its faults reach the next handler untouched,
   and what attach mapped is freed. Returns 0 (also when not attached), or
   -1 with errno EBUSY from inside a handler, where the thread's stacks are
   in use: nothing changes then. */
int trampgen_detach(void);
int trampgen_attached(void);

/* Handler for one kind (NULL: none, faults of that kind are not claimed).
   fn and user are published as one pair: a fault sees the old pair or the
   new one, never one's fn with the other's user. Callable at any time from
   any thread, a handler included. */
int trampgen_set_handler(int kind, trampgen_handler fn, void *user);

/* Install / remove the generated entry trampolines with the OS. Both are
   idempotent and safe against each other on any threads, and against faults
   on other threads: a fault that arrives while trampgen is being removed
   still goes where it would have gone without trampgen. Not for use inside
   a signal handler. Returns 0, or -1 with errno.
   POSIX: a signal trampgen does not claim goes to the action that was
   installed before trampgen_install, exactly as the kernel would have run
   it (its sa_mask and, unless SA_NODEFER, its own signal blocked;
   SA_SIGINFO or not; SA_RESETHAND: once, later ones meet SIG_DFL; SIG_IGN
   ignores a sent signal and dies of a fault; SIG_DFL dies of the signal).
   Only a fault the kernel raised (si_code > 0) reaches a trampgen handler;
   a fault signal someone sent (kill, tgkill, sigqueue) always goes on.
   trampgen_uninstall puts the previous action back only where trampgen's
   entry still is: an action installed over trampgen since stays. */
int trampgen_install(void);
void trampgen_uninstall(void);

/* The top of the calling thread's system stack (0 when not attached). */
uintptr_t trampgen_system_stack_top(void);

/*
 * Embedder mode, for a runtime that owns its fault handlers (as V8's and
 * Wasmtime's do): never call trampgen_install, and ask trampgen from your
 * own handler. Returns 1 when trampgen claimed the fault: the context has
 * been updated for the verdict, so resume it (POSIX: return from the signal
 * handler; Windows: return EXCEPTION_CONTINUE_EXECUTION). Returns 0 when it
 * did not (a sent signal, an unattached thread, no handler, the handler
 * said CONTINUE_SEARCH): the context is untouched; do what you would have
 * done. A fault inside a trampgen handler is a bug in that handler: it is
 * reported on stderr in one line and the process dies of it, as it does in
 * installed mode (POSIX: of the original signal, with its default action,
 * inside trampgen_try_handle; no previous handler is asked).
 * Async-signal-safe.
 */
#if defined(_WIN32)
/* From a vectored handler: exception_pointers is its EXCEPTION_POINTERS *,
   kind the TRAMPGEN_KIND_* of the list it is on. */
int trampgen_try_handle_exception(void *exception_pointers, int kind);
#else
#include <signal.h>
/* From an SA_SIGINFO handler (SA_ONSTACK, if stack overflows are to be
   handled): its three arguments, as the kernel gave them. */
int trampgen_try_handle(int signo, siginfo_t *info, void *ucontext);
#endif

/* Which fault signals no longer reach trampgen since trampgen_install
   (someone installed a handler over it): up to `max` of their numbers are
   written to lost (which may be NULL when max is 0), and the count is
   returned; 0 when every one reaches trampgen, or when trampgen is not
   installed. Windows cannot displace vectored handlers: always 0 there. */
int trampgen_check_handlers(int *lost, int max);

#ifdef __cplusplus
}
#endif

#endif /* TRAMPGEN_H */
