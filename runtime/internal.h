/*
 * Between the shared dispatcher (dispatch.c) and one OS backend
 * (windows.c, posix.c, or the emulated-OS harness): the backend owns
 * per-thread storage, memory for stacks and the translation of OS fault
 * records; the dispatcher owns everything else.
 */
#ifndef TRAMPGEN_INTERNAL_H
#define TRAMPGEN_INTERNAL_H

#include "trampgen.h"

struct trampgen_thread {
	uintptr_t system_stack_top;   /* SP given to trampgen_sigresume */
	void *stack_map;              /* the system stack trampgen mapped (guard page included), or NULL */
	size_t stack_map_size;
	/* While a handler of this thread runs: the address of the dispatcher
	   frame that called it. A fault whose interrupted SP lies between the
	   new dispatcher frame and this one happened inside that handler; a
	   fault outside that span means the handler was left without returning
	   (siglongjmp), and the mark is stale. 0 when no handler runs. */
	uintptr_t handler_frame;
	/* The stack the backend's fault handlers run on when it is not the
	   faulting one (POSIX: the thread's alternate signal stack), as
	   [low, high); 0, 0 when the backend has none (Windows). It only
	   sharpens the test of whether code runs inside a handler (detach,
	   attach): code below the mark but off that stack is outside. */
	uintptr_t handler_stack_low, handler_stack_high;
	void *os;                     /* backend's own per-thread data */
};

/* The calling thread's state. create = 0 is the fault path: no allocation,
   NULL when the thread never attached. create = 1 may allocate. */
struct trampgen_thread *trampgen_os_thread(int create);
/* Forget the calling thread's state (after trampgen_os_detach). */
void trampgen_os_thread_release(struct trampgen_thread *th);
/* A private stack: `usable` bytes (a whole number of pages) above one
   inaccessible guard page. Returns the base of the mapping and sets
   *map_size; NULL with errno on failure. Not on the fault path. */
void *trampgen_os_map_stack(size_t usable, size_t *map_size);
void trampgen_os_unmap_stack(void *map, size_t map_size);
size_t trampgen_os_page_size(void);
/* The stack one fault delivery needs on this OS (POSIX: the kernel's
   minimum signal frame); trampgen_system_stack_min() builds on it. */
size_t trampgen_os_min_frame(void);
/* Backend parts of attach/detach (POSIX: the alternate signal stack).
   trampgen_os_attach is called again on a re-attach and keeps what the
   thread already has. */
int trampgen_os_attach(struct trampgen_thread *th);
void trampgen_os_detach(struct trampgen_thread *th);

/* Provided by dispatch.c for backends that fork (POSIX, pthread_atfork):
   1 takes the lock trampgen_set_handler's writers hold, 0 releases it, so
   that a child is not left with it held by a thread it does not have. Not
   on the fault path; a backend without fork never calls it. */
void trampgen_handler_writers(int lock);

/* The shared decision: call the handler, route the resume. Fault path.
   Besides the public verdicts it returns TRAMPGEN_NESTED_FAULT for a fault
   inside a handler of this thread: the backend writes the line
   trampgen_nested_message() formats to stderr and ends the process as the
   fault would have without trampgen. */
trampgen_verdict trampgen_dispatch(trampgen_fault *fault);
#define TRAMPGEN_NESTED_FAULT ((trampgen_verdict)-1)
/* One line (newline included) for a fault inside a handler, into buf;
   returns its length. Async-signal-safe. */
size_t trampgen_nested_message(char *buf, size_t size, const trampgen_fault *fault);

#endif /* TRAMPGEN_INTERNAL_H */
