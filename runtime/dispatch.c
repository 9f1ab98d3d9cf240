/*
 * The shared dispatcher: one decision for every OS and every target.
 *
 * trampgen_dispatch runs on the fault path (inside a signal handler or a
 * vectored exception handler): no allocation, no locks, no stdio. The
 * handler table is a per-kind sequence lock read with atomic loads only;
 * per-thread state comes from the OS backend without allocating.
 *
 * Stacks grow down on every target trampgen supports (the red zone, the
 * injected call and the system stack all assume it), and the nesting test
 * below does too.
 */
#include "internal.h"

#include <errno.h>
#include <string.h>

#if defined(TRAMPGEN_KIND_SIGNAL)
#include <signal.h>          /* fault->code is a signal number: name it */
#endif

/* ---- the handler table: (fn, user) published as one pair ------------------
 *
 * Per kind, SLOTS pairs and two counters. Publication k writes slot
 * k % SLOTS and then makes `seq` k; `claimed` is the highest k any writer
 * has started. A reader loads seq (s), the pair in slot s % SLOTS, then
 * claimed (c). Only writer s + SLOTS (or later) writes that slot again, and
 * it raises claimed to its k before its first store; the stores are
 * releases and the reader's loads acquires, so a reader that saw any byte of
 * a later writer's pair sees c >= s + SLOTS and retries. A retry therefore
 * needs SLOTS publications to start during the reader's three loads: the
 * loop is lock-free (a retry means some set_handler made progress), and
 * since a publication is a handful of stores under a lock the reader does
 * not take, a reader is never made to wait by a writer that is not
 * running.
 *
 * Writers take a spin lock, which a writer holds for a few stores and never
 * while waiting for anything. The only way to wait for a holder that cannot
 * run is to be that holder: set_handler interrupted by a signal whose
 * handler (a trampgen handler among them) calls set_handler. The lock word
 * names its owner by a thread-local address, and such a nested call
 * publishes without the lock: the outer call is suspended until it
 * returns, so it is the only writer running; it claims the next k, which
 * makes the outer writer's later stores land in a slot that is not the
 * published one, and the outer publication does not lower seq. (Nesting
 * SLOTS - 1 deep in one thread could wrap onto the outer slot; four slots
 * allow three levels of signal handlers interrupting set_handler.)
 */
#define SLOTS 4

struct pair {
	trampgen_handler fn;
	void *user;
};

struct kind_table {
	unsigned long seq;
	unsigned long claimed;
	struct pair slot[SLOTS];
};

static struct kind_table handlers[TRAMPGEN_KIND_LIMIT];
static char *writer;                      /* the owner's writer_self, or NULL */
static __thread char writer_self;

static void load_handler(int kind, trampgen_handler *fn, void **user)
{
	struct kind_table *t = &handlers[kind];
	unsigned long s, c;

	do {
		s = __atomic_load_n(&t->seq, __ATOMIC_ACQUIRE);
		*fn = __atomic_load_n(&t->slot[s % SLOTS].fn, __ATOMIC_ACQUIRE);
		*user = __atomic_load_n(&t->slot[s % SLOTS].user, __ATOMIC_ACQUIRE);
		c = __atomic_load_n(&t->claimed, __ATOMIC_ACQUIRE);
	} while (c - s >= SLOTS);
}

void trampgen_handler_writers(int lock)
{
	char *expected = NULL;

	if (!lock) {
		__atomic_store_n(&writer, NULL, __ATOMIC_RELEASE);
		return;
	}
	while (!__atomic_compare_exchange_n(&writer, &expected, &writer_self, 0, __ATOMIC_ACQUIRE,
	                                    __ATOMIC_RELAXED))
		expected = NULL;
}

int trampgen_set_handler(int kind, trampgen_handler fn, void *user)
{
	struct kind_table *t;
	char *expected = NULL, *me = &writer_self;
	unsigned long k, s;
	int nested;

	if (kind < 0 || kind >= TRAMPGEN_KIND_LIMIT) {
		errno = EINVAL;
		return -1;
	}
	t = &handlers[kind];
	for (;;) {
		if (__atomic_compare_exchange_n(&writer, &expected, me, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
			nested = 0;
			break;
		}
		if (expected == me) {
			nested = 1;          /* this thread holds it, suspended below us */
			break;
		}
		expected = NULL;
	}
	k = __atomic_add_fetch(&t->claimed, 1, __ATOMIC_ACQ_REL);
	__atomic_store_n(&t->slot[k % SLOTS].fn, fn, __ATOMIC_RELEASE);
	__atomic_store_n(&t->slot[k % SLOTS].user, user, __ATOMIC_RELEASE);
	/* Publish k unless a nested call already published a later one. */
	s = __atomic_load_n(&t->seq, __ATOMIC_RELAXED);
	while ((long)(k - s) > 0 &&
	       !__atomic_compare_exchange_n(&t->seq, &s, k, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		;
	if (!nested)
		__atomic_store_n(&writer, NULL, __ATOMIC_RELEASE);
	return 0;
}

/* ---- attach / detach --------------------------------------------------- */

/* Whether the calling code runs inside a handler of this thread (called
   from a handler, below the dispatcher frame that called it). A mark left by
   a handler that never returned (siglongjmp) is stale: the caller's frame is
   then above it, or on another stack than the one the handler ran on. */
static int inside_handler(struct trampgen_thread *th)
{
	uintptr_t mark = __atomic_load_n(&th->handler_frame, __ATOMIC_RELAXED);
	uintptr_t here = (uintptr_t)__builtin_frame_address(0);   /* below any handler frame */
	uintptr_t low = __atomic_load_n(&th->handler_stack_low, __ATOMIC_RELAXED);
	uintptr_t high = __atomic_load_n(&th->handler_stack_high, __ATOMIC_RELAXED);

	if (mark == 0 || here >= mark)
		return 0;
	if (mark >= low && mark < high)      /* the handler ran on a stack of its own */
		return here >= low;
	return 1;
}

size_t trampgen_system_stack_min(void)
{
	/*
	 * What lands on a system stack: trampgen_sigresume itself pushes
	 * nothing; a signal delivered while a resume passes through it
	 * pushes its frame there (the OS's minimum frame), then its handler
	 * runs below that. One page beyond the frame: the ABI's red zone
	 * (at most 128 bytes, skipped by the kernel) and the frame's
	 * alignment padding (under 64 bytes) leave ~3.8 KiB for a minimal
	 * async-signal-safe handler. This is a floor for validation; the
	 * default, TRAMPGEN_SYSTEM_STACK_DEFAULT, leaves room for nested
	 * signals and real handlers. Rounded up to the stack alignment, so
	 * that an aligned buffer of exactly this size is accepted.
	 */
	size_t a = TRAMPGEN_STACK_ALIGNMENT;

	return (trampgen_os_min_frame() + 4096 + a - 1) / a * a;
}

static int fail(int err)
{
	errno = err;
	return -1;
}

int trampgen_attach(void *system_stack, size_t size)
{
	struct trampgen_thread *th = trampgen_os_thread(0);
	size_t page = trampgen_os_page_size(), min = trampgen_system_stack_min();
	size_t map_size = 0;
	uintptr_t low, top;
	void *map = NULL, *old_map;
	size_t old_size;
	int fresh = th == NULL;

	if (th != NULL && inside_handler(th))
		return fail(EBUSY);
	if (system_stack == NULL) {
		if (size == 0)
			size = TRAMPGEN_SYSTEM_STACK_DEFAULT;
		if (size > SIZE_MAX - page)
			return fail(ENOMEM);
		size = (size + page - 1) / page * page;
		if (size < min)
			return fail(EINVAL);
	} else {
		low = (uintptr_t)system_stack;
		if (size == 0 || size > UINTPTR_MAX - low)
			return fail(EINVAL);           /* empty, or wraps */
		if (low < page)
			return fail(EINVAL);           /* the null page is nobody's stack */
		top = (low + size) & ~(uintptr_t)(TRAMPGEN_STACK_ALIGNMENT - 1);
		if (top <= low || top - low < min)
			return fail(EINVAL);
	}
	if (th == NULL && (th = trampgen_os_thread(1)) == NULL)
		return -1;
	if (system_stack == NULL) {
		map = trampgen_os_map_stack(size, &map_size);
		if (map == NULL) {
			int err = errno;

			if (fresh)
				trampgen_os_thread_release(th);
			return fail(err);
		}
		/* The guard page is at the bottom: the top is the mapping's end,
		   page-aligned and so aligned for any ABI. */
		top = (uintptr_t)map + map_size;
	}
	if (trampgen_os_attach(th) != 0) {
		int err = errno;

		if (map != NULL)
			trampgen_os_unmap_stack(map, map_size);
		if (fresh)
			trampgen_os_thread_release(th);
		return fail(err);
	}
	/* No fault of this thread can be in sigresume now (we are not in a
	   handler, nor in sigresume): the old stack is free once replaced. */
	old_map = th->stack_map;
	old_size = th->stack_map_size;
	th->stack_map = map;
	th->stack_map_size = map_size;
	__atomic_store_n(&th->system_stack_top, top, __ATOMIC_RELAXED);
	__atomic_store_n(&th->handler_frame, 0, __ATOMIC_RELAXED);
	if (old_map != NULL)
		trampgen_os_unmap_stack(old_map, old_size);
	return 0;
}

int trampgen_detach(void)
{
	struct trampgen_thread *th = trampgen_os_thread(0);

	if (th == NULL)
		return 0;
	if (inside_handler(th))
		return fail(EBUSY);
	trampgen_os_detach(th);
	if (th->stack_map != NULL)
		trampgen_os_unmap_stack(th->stack_map, th->stack_map_size);
	th->stack_map = NULL;
	th->stack_map_size = 0;
	__atomic_store_n(&th->system_stack_top, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&th->handler_frame, 0, __ATOMIC_RELAXED);
	trampgen_os_thread_release(th);
	return 0;
}

int trampgen_attached(void)
{
	return trampgen_os_thread(0) != NULL;
}

uintptr_t trampgen_system_stack_top(void)
{
	struct trampgen_thread *th = trampgen_os_thread(0);

	return th ? __atomic_load_n(&th->system_stack_top, __ATOMIC_RELAXED) : 0;
}

/* ---- the fault path ------------------------------------------------------ */

trampgen_verdict trampgen_dispatch(trampgen_fault *f)
{
	struct trampgen_thread *th;
	trampgen_handler fn;
	trampgen_verdict v;
	void *user;
	uintptr_t here, mark, sp;
	int saved_errno = errno;

	if (f->kind < 0 || f->kind >= TRAMPGEN_KIND_LIMIT)
		return TRAMPGEN_CONTINUE_SEARCH;
	th = trampgen_os_thread(0);
	if (th == NULL)
		return TRAMPGEN_CONTINUE_SEARCH;     /* unattached: not ours */

	/*
	 * A handler of this thread is running (or was left by siglongjmp):
	 * this fault happened inside it iff the SP it interrupted lies
	 * between this dispatcher frame and the one that called the handler.
	 * A fault from anywhere else (above the mark, or on another stack)
	 * means the mark is stale.
	 */
	/* The top of this frame: every frame of the handler lies below it,
	   and the SP a fault interrupted lies above it. */
	here = (uintptr_t)__builtin_frame_address(0);
	mark = __atomic_load_n(&th->handler_frame, __ATOMIC_RELAXED);
	if (mark != 0) {
		sp = trampgen_context_sp(f->context);
		if (here < sp && sp <= mark)
			return TRAMPGEN_NESTED_FAULT;
		__atomic_store_n(&th->handler_frame, 0, __ATOMIC_RELAXED);
	}

	load_handler(f->kind, &fn, &user);
	if (fn == NULL)
		return TRAMPGEN_CONTINUE_SEARCH;

	__atomic_store_n(&th->handler_frame, here, __ATOMIC_RELAXED);
	v = fn(f, user);
	__atomic_store_n(&th->handler_frame, 0, __ATOMIC_RELAXED);
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
			trampgen_context_set_sp(f->context, __atomic_load_n(&th->system_stack_top, __ATOMIC_RELAXED));
			trampgen_context_set_pc(f->context, trampgen_sigresume_pc());
		}
	} else if (v != TRAMPGEN_CONTINUE_EXACT) {
		v = TRAMPGEN_CONTINUE_SEARCH;
	}
	return v;
}

/* ---- the line for a fault inside a handler --------------------------------- */

struct line {
	char *p, *end;
};

static void put_str(struct line *l, const char *s)
{
	while (*s && l->p < l->end)
		*l->p++ = *s++;
}

static void put_num(struct line *l, uintptr_t v, unsigned base)
{
	char tmp[3 * sizeof v];
	int n = 0;

	if (base == 16)
		put_str(l, "0x");
	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v != 0);
	while (n > 0 && l->p < l->end)
		*l->p++ = tmp[--n];
}

static const char *fault_name(const trampgen_fault *f)
{
#if defined(TRAMPGEN_KIND_SIGNAL)
	switch (f->code) {
	case SIGSEGV: return "SIGSEGV";
	case SIGBUS: return "SIGBUS";
	case SIGFPE: return "SIGFPE";
	case SIGILL: return "SIGILL";
	case SIGTRAP: return "SIGTRAP";
	}
#endif
	switch (f->fault_class) {
	case TRAMPGEN_FAULT_ACCESS: return "access violation";
	case TRAMPGEN_FAULT_DIVIDE: return "integer divide by zero";
	case TRAMPGEN_FAULT_BREAKPOINT: return "breakpoint";
	case TRAMPGEN_FAULT_ILLEGAL: return "illegal instruction";
	case TRAMPGEN_FAULT_STACK_OVERFLOW: return "stack overflow";
	default: return "fault";
	}
}

size_t trampgen_nested_message(char *buf, size_t size, const trampgen_fault *f)
{
	struct line l = { buf, buf + (size > 0 ? size - 1 : 0) };

	if (size == 0)
		return 0;
	put_str(&l, "trampgen: fault inside a handler: ");
#if defined(TRAMPGEN_KIND_SIGNAL)
	put_str(&l, "signal ");
	put_num(&l, f->code, 10);
#else
	put_str(&l, "exception ");
	put_num(&l, f->code, 16);
#endif
	put_str(&l, " (");
	put_str(&l, fault_name(f));
	put_str(&l, ") at pc ");
	put_num(&l, f->pc, 16);
	if (f->fault_class == TRAMPGEN_FAULT_ACCESS || f->fault_class == TRAMPGEN_FAULT_STACK_OVERFLOW) {
		put_str(&l, ", address ");
		put_num(&l, f->address, 16);
	}
	put_str(&l, "; the process dies of it");
	/* The newline always fits: the line was cut one byte short of size. */
	*l.p++ = '\n';
	return (size_t)(l.p - buf);
}
