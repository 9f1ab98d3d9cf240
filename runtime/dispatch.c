/*
 * The shared dispatcher: one decision for every OS and every target.
 *
 * trampgen_dispatch runs on the fault path (inside a signal handler or a
 * vectored exception handler): no allocation, no locks, no stdio. The
 * handler table is read with atomic loads; per-thread state comes from the
 * OS backend without allocating.
 */
#include "internal.h"

#include <errno.h>

struct slot {
	trampgen_handler fn;
	void *user;
};

static struct slot handlers[TRAMPGEN_KIND_LIMIT];

int trampgen_set_handler(int kind, trampgen_handler fn, void *user)
{
	if (kind < 0 || kind >= TRAMPGEN_KIND_LIMIT) {
		errno = EINVAL;
		return -1;
	}
	/* user first, fn last: a fault that sees the new fn sees its user too. */
	__atomic_store_n(&handlers[kind].user, user, __ATOMIC_RELEASE);
	__atomic_store_n(&handlers[kind].fn, fn, __ATOMIC_RELEASE);
	return 0;
}

int trampgen_attach(void *system_stack, size_t size)
{
	uintptr_t low, high;
	struct trampgen_thread *th = trampgen_os_thread(1);

	if (th == NULL)
		return -1;
	if (system_stack != NULL) {
		low = (uintptr_t)system_stack;
		high = low + size;
	} else if (trampgen_os_thread_stack(&low, &high) != 0) {
		trampgen_os_thread_release(th);
		return -1;
	}
	/* trampgen_sigresume runs here without touching the stack; keep SP
	   aligned as the ABI expects of any SP value. */
	th->system_stack_top = high & ~(uintptr_t)(TRAMPGEN_STACK_ALIGNMENT - 1);
	th->depth = 0;
	if (trampgen_os_attach(th) != 0) {
		trampgen_os_thread_release(th);
		return -1;
	}
	return 0;
}

void trampgen_detach(void)
{
	struct trampgen_thread *th = trampgen_os_thread(0);

	if (th == NULL)
		return;
	trampgen_os_detach(th);
	trampgen_os_thread_release(th);
}

int trampgen_attached(void)
{
	return trampgen_os_thread(0) != NULL;
}

uintptr_t trampgen_system_stack_top(void)
{
	struct trampgen_thread *th = trampgen_os_thread(0);

	return th ? th->system_stack_top : 0;
}

trampgen_verdict trampgen_dispatch(trampgen_fault *f)
{
	struct trampgen_thread *th;
	trampgen_handler fn;
	trampgen_verdict v;
	void *user;
	int saved_errno = errno;

	if (f->kind < 0 || f->kind >= TRAMPGEN_KIND_LIMIT)
		return TRAMPGEN_CONTINUE_SEARCH;
	th = trampgen_os_thread(0);
	if (th == NULL)
		return TRAMPGEN_CONTINUE_SEARCH;     /* unattached: not ours */
	fn = __atomic_load_n(&handlers[f->kind].fn, __ATOMIC_ACQUIRE);
	user = __atomic_load_n(&handlers[f->kind].user, __ATOMIC_ACQUIRE);
	if (fn == NULL)
		return TRAMPGEN_CONTINUE_SEARCH;
	if (th->depth > 0)
		return TRAMPGEN_CONTINUE_SEARCH;     /* a fault inside a handler: let the OS report it */

	th->depth++;
	v = fn(f, user);
	th->depth--;
	errno = saved_errno;

	if (v == TRAMPGEN_CONTINUE_EXECUTION) {
		/*
		 * Resume through trampgen_sigresume on the system stack: the OS
		 * resumes a context whose SP lies in the thread's own stack, and
		 * sigresume moves to the SP and PC the handler chose. If the PC
		 * already is sigresume, an earlier exception (or continue
		 * handler) prepared this context: its scratch registers hold the
		 * real SP and PC, and preparing again would lose them.
		 */
		if (trampgen_context_pc(f->context) != trampgen_sigresume_pc()) {
			trampgen_prepare_context_for_sig_resume(f->context);
			trampgen_context_set_sp(f->context, th->system_stack_top);
			trampgen_context_set_pc(f->context, trampgen_sigresume_pc());
		}
	} else if (v != TRAMPGEN_CONTINUE_EXACT) {
		v = TRAMPGEN_CONTINUE_SEARCH;
	}
	return v;
}
