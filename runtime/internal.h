/*
 * Between the shared dispatcher (dispatch.c) and one OS backend
 * (windows.c, posix.c): the backend owns per-thread storage and the
 * translation of OS fault records; the dispatcher owns everything else.
 */
#ifndef TRAMPGEN_INTERNAL_H
#define TRAMPGEN_INTERNAL_H

#include "trampgen.h"

struct trampgen_thread {
	uintptr_t system_stack_top;   /* SP given to trampgen_sigresume */
	int depth;                    /* > 0 while a handler of this thread runs */
	void *os;                     /* backend's own per-thread data */
};

/* The calling thread's state. create = 0 is the fault path: no allocation,
   NULL when the thread never attached. create = 1 may allocate. */
struct trampgen_thread *trampgen_os_thread(int create);
/* Forget the calling thread's state (after trampgen_os_thread_release). */
void trampgen_os_thread_release(struct trampgen_thread *th);
/* The extent of the calling thread's OS stack; 0 on success. */
int trampgen_os_thread_stack(uintptr_t *low, uintptr_t *high);
/* Backend parts of attach/detach (POSIX: the alternate signal stack). */
int trampgen_os_attach(struct trampgen_thread *th);
void trampgen_os_detach(struct trampgen_thread *th);

/* The shared decision: call the handler, route the resume. Fault path. */
trampgen_verdict trampgen_dispatch(trampgen_fault *fault);

#endif /* TRAMPGEN_INTERNAL_H */
