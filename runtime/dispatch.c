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

/* TEMP shim (dropped at merge for R's dispatch.c): just enough of the
   internal.h contract for the Windows backend to be built and tested. */
size_t trampgen_system_stack_min(void)
{
	return trampgen_os_min_frame() + 4096;
}

static void free_map(struct trampgen_thread *th)
{
	if (th->stack_map != NULL)
		trampgen_os_unmap_stack(th->stack_map, th->stack_map_size);
	th->stack_map = NULL;
	th->stack_map_size = 0;
}

int trampgen_attach(void *system_stack, size_t size)
{
	struct trampgen_thread *th = trampgen_os_thread(1);
	size_t page = trampgen_os_page_size();
	uintptr_t top;
	void *map = NULL;
	size_t map_size = 0;

	if (th == NULL)
		return -1;
	if (th->handler_frame != 0) {
		errno = EBUSY;
		return -1;
	}
	if (system_stack == NULL) {
		if (size == 0)
			size = TRAMPGEN_SYSTEM_STACK_DEFAULT;
		size = (size + page - 1) / page * page;
		map = trampgen_os_map_stack(size, &map_size);
		if (map == NULL)
			return -1;
		top = (uintptr_t)map + map_size;
	} else {
		top = (uintptr_t)system_stack + size;
		if (top < (uintptr_t)system_stack) {
			errno = EINVAL;
			return -1;
		}
	}
	top &= ~(uintptr_t)(TRAMPGEN_STACK_ALIGNMENT - 1);
	if (top - (uintptr_t)(map ? (char *)map + page : (char *)system_stack) < trampgen_system_stack_min()) {
		if (map)
			trampgen_os_unmap_stack(map, map_size);
		errno = EINVAL;
		return -1;
	}
	free_map(th);
	th->stack_map = map;
	th->stack_map_size = map_size;
	th->system_stack_top = top;
	if (trampgen_os_attach(th) != 0) {
		free_map(th);
		trampgen_os_thread_release(th);
		return -1;
	}
	return 0;
}

int trampgen_detach(void)
{
	struct trampgen_thread *th = trampgen_os_thread(0);

	if (th == NULL)
		return 0;
	if (th->handler_frame != 0) {
		errno = EBUSY;
		return -1;
	}
	trampgen_os_detach(th);
	free_map(th);
	trampgen_os_thread_release(th);
	return 0;
}

static char *put_hex(char *p, char *end, uintptr_t v)
{
	char tmp[2 * sizeof v];
	int n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	if (p < end)
		*p++ = '0';
	if (p < end)
		*p++ = 'x';
	while (n > 0 && p < end)
		*p++ = tmp[--n];
	return p;
}

size_t trampgen_nested_message(char *buf, size_t size, const trampgen_fault *f)
{
	static const char a[] = "trampgen: fault inside a handler: code ", b[] = " at pc ";
	char *p = buf, *end = buf + (size ? size - 1 : 0);

	if (size == 0)
		return 0;
	for (const char *q = a; *q && p < end; q++)
		*p++ = *q;
	p = put_hex(p, end, f->code);
	for (const char *q = b; *q && p < end; q++)
		*p++ = *q;
	p = put_hex(p, end, f->pc);
	if (p < end)
		*p++ = '\n';
	*p = 0;
	return (size_t)(p - buf);
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
	if (th->handler_frame != 0)
		return TRAMPGEN_NESTED_FAULT;        /* TEMP shim: no stale-mark check */

	th->handler_frame = (uintptr_t)__builtin_frame_address(0);
	v = fn(f, user);
	th->handler_frame = 0;
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
