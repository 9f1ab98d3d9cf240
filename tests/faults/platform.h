/* What the fault suite needs from the platform it runs on, beyond trampgen. */
#ifndef PLATFORM_H
#define PLATFORM_H

#include <stdint.h>

extern const char platform_name[];

/* The handler after trampgen's: Windows, a vectored handler added last; the
   harness, its next-handler hook; POSIX, the signal handler installed before
   trampgen. It returns 1 after editing the context to resume, 0 to pass on.
   Call before trampgen_install. */
typedef int (*platform_next_fn)(void *context);
void platform_set_next_handler(platform_next_fn fn);

/* One page of memory, and switching it between read-only and read-write. */
void *platform_page_alloc(void);
void platform_page_protect(void *page, int writable);

/* Deliver a fault again, through the real entry trampoline, as the OS
   would: the original's code, detail and address, with `context` (a copy
   of a context trampgen saw) as the context. */
struct trampgen_fault;
void platform_replay(const struct trampgen_fault *original, void *context);

/* NULL where the OS calls vectored continue handlers after a handler asked
   to continue execution; otherwise why it does not. */
const char *platform_continue_handlers_missing(void);
/* Where that is missing: register an entry trampoline as one more vectored
   exception handler, after every other one, so the OS still calls it for
   real. Returns 0, or -1 where there is no such thing. */
int platform_add_last_exception_handler(void *entry);

/* How a child process ended. */
struct child_end {
	int signaled;                 /* POSIX: killed by signal `signo` */
	int signo;
	unsigned long exit_code;      /* otherwise its exit status (Windows: the exit code) */
	int timed_out;                /* it did not end within the time limit (a hang) */
};
/* Run `suite child:NAME` semantics in a child process (suite_child calls
   the named child function) and wait, at most 60 s, for it to end. 0 on
   success, -1 if the child could not be started. */
int platform_run_child(const char *name, struct child_end *end);
int suite_child(const char *name);   /* defined by the suite */
/* Called first thing in a child (Windows: no crash dialog, no debugger). */
void platform_child_prepare(void);
/* Whether a child ended as an unhandled access violation ends there. */
int platform_died_of_access_violation(const struct child_end *end);
void platform_describe(const struct child_end *end, char *buf, unsigned size);

/* Why this process cannot create threads (probed in a child, so that an
   emulator that hangs in pthread_create is told apart), or NULL. */
const char *platform_threads_unavailable(void);
int platform_probe_threads(void);   /* POSIX: the child side of the probe */
/* How many bytes of the context record at ctx can be read: all of it, but
   where an emulator's signal frame is smaller than the C type. */
unsigned long platform_context_bytes(const void *ctx);

/* Run fn(0) .. fn(n - 1) on n threads at once; wait for all. */
int platform_run_threads(int n, void (*fn)(int index));

#ifdef _WIN32
/* The thread's last-error value (GetLastError/SetLastError). */
void platform_set_last_error(unsigned long value);
unsigned long platform_last_error(void);
void platform_clobber_last_error(void);
/* Run fn on a new thread whose stack reserves `reserve` bytes; wait for it.
   0, or -1 if the thread could not be created. */
int platform_run_small_stack(unsigned long reserve, void (*fn)(void));
/* The calling thread's stack, [low, high). */
void platform_stack_limits(uintptr_t *low, uintptr_t *high);
/* The calling thread's stack guarantee (SetThreadStackGuarantee), bytes. */
unsigned long platform_stack_guarantee(void);
/* After a stack overflow: give the stack its guard page back (_resetstkoflw),
   so that the next overflow is raised as one. 0, or -1. */
int platform_rearm_stack_guard(void);
/* From now on, copy every exception's CONTEXT and EXCEPTION_RECORD as the
   OS delivers them, before trampgen's handler (a vectored handler first in
   line); the next handler compares what it is given with that copy. */
void platform_watch_untouched(void);
/* For the last exception the next handler got: 1 when its context and
   record were byte-identical to the OS's, 0 when not, -1 when none came. */
int platform_untouched(void);
#endif

/* Why a scenario cannot be expressed on this platform, or NULL. */
const char *platform_no_alternate_stack(void);
const char *platform_no_posix_syscalls(void);

#endif
