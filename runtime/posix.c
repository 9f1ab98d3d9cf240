/*
 * POSIX backend: synchronous fault signals, delivered on a per-thread
 * alternate signal stack to the generated trampgen_signaltramp.
 *
 * A fault the dispatcher does not claim (unattached thread, no handler,
 * CONTINUE_SEARCH), and every fault signal someone sent (si_code <= 0),
 * goes where it would have gone without trampgen: to the action installed
 * before trampgen, called as the kernel would have called it, or to the
 * default action, so that the process dies of the original signal.
 */
#define _GNU_SOURCE
#include "internal.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/auxv.h>
#endif

static const int fault_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP };
#define NFAULT (int)(sizeof fault_signals / sizeof fault_signals[0])

/* ---- per-thread state ---------------------------------------------------- */

struct posix_thread {
	void *map;          /* guard page + alternate stack trampgen made, or NULL */
	size_t map_size;
};

/* Initial-exec: the fault path reads these without calling into the
   dynamic linker (which may allocate). */
static __thread struct trampgen_thread thread_state __attribute__((tls_model("initial-exec")));
static __thread struct posix_thread posix_state __attribute__((tls_model("initial-exec")));
static __thread int thread_attached __attribute__((tls_model("initial-exec")));

/* A thread that exits attached is detached by this key's destructor, which
   glibc runs in the exiting thread while its TLS is still there. */
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t exit_key;
static int key_error;

static void detach_at_exit(void *value)
{
	(void)value;
	/* The thread is leaving: no handler of it runs any more, even if the
	   mark says one was left by siglongjmp. */
	__atomic_store_n(&thread_state.handler_frame, 0, __ATOMIC_RELAXED);
	trampgen_detach();
}

static void make_key(void)
{
	key_error = pthread_key_create(&exit_key, detach_at_exit);
}

struct trampgen_thread *trampgen_os_thread(int create)
{
	if (create && !thread_attached) {
		pthread_once(&key_once, make_key);
		if (key_error != 0) {
			errno = key_error;
			return NULL;
		}
		memset(&thread_state, 0, sizeof thread_state);
		thread_state.os = &posix_state;
		if (pthread_setspecific(exit_key, &thread_state) != 0) {
			errno = ENOMEM;
			return NULL;
		}
		__atomic_store_n(&thread_attached, 1, __ATOMIC_RELAXED);
	}
	return __atomic_load_n(&thread_attached, __ATOMIC_RELAXED) ? &thread_state : NULL;
}

void trampgen_os_thread_release(struct trampgen_thread *th)
{
	(void)th;
	__atomic_store_n(&thread_attached, 0, __ATOMIC_RELAXED);
	pthread_setspecific(exit_key, NULL);
}

/* ---- memory -------------------------------------------------------------- */

size_t trampgen_os_page_size(void)
{
	static size_t page;
	size_t p = __atomic_load_n(&page, __ATOMIC_RELAXED);

	if (p == 0) {
		long v = sysconf(_SC_PAGESIZE);

		p = v > 0 ? (size_t)v : 4096;
		__atomic_store_n(&page, p, __ATOMIC_RELAXED);
	}
	return p;
}

void *trampgen_os_map_stack(size_t usable, size_t *map_size)
{
	size_t page = trampgen_os_page_size();
	void *map;

	if (usable > SIZE_MAX - page) {
		errno = ENOMEM;
		return NULL;
	}
	map = mmap(NULL, page + usable, PROT_READ | PROT_WRITE,
	           MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (map == MAP_FAILED)
		return NULL;
	/* The guard page turns an overflow into a fault instead of silent
	   corruption of whatever is mapped below. */
	if (mprotect(map, page, PROT_NONE) != 0) {
		int err = errno;

		munmap(map, page + usable);
		errno = err;
		return NULL;
	}
	*map_size = page + usable;
	return map;
}

void trampgen_os_unmap_stack(void *map, size_t map_size)
{
	munmap(map, map_size);
}

/*
 * The kernel's minimum signal frame for this process: AT_MINSIGSTKSZ (the
 * frame with every register state the kernel may save for this CPU, e.g.
 * AVX-512 or SVE), else glibc's sysconf(_SC_MINSIGSTKSZ), and never less
 * than the compile-time MINSIGSTKSZ. Under qemu-user these are qemu's own
 * values for the guest.
 */
size_t trampgen_os_min_frame(void)
{
	/* glibc >= 2.34 with _GNU_SOURCE defines MINSIGSTKSZ as
	   sysconf(_SC_SIGSTKSZ), the *suggested* size: the constant is only
	   the last resort. */
	size_t frame = 0;

#if defined(__linux__) && defined(AT_MINSIGSTKSZ)
	frame = getauxval(AT_MINSIGSTKSZ);
#endif
#if defined(_SC_MINSIGSTKSZ)
	{
		long v = sysconf(_SC_MINSIGSTKSZ);

		if (v > 0 && (size_t)v > frame)
			frame = (size_t)v;
	}
#else
	if (frame < MINSIGSTKSZ)
		frame = MINSIGSTKSZ;
#endif
	return frame > 0 ? frame : 2048;
}

/*
 * The alternate signal stack holds, for a fault: the kernel's frame, the
 * entry trampoline and sigtramp (the callee-saved set: at most 208 bytes of
 * frame on today's targets, `python3 -m gen explain` shows each), the POSIX
 * dispatch, trampgen_dispatch, and on the way to dying die_by_default and
 * libc's sigaction/raise/write; then the user's handler; and a second
 * kernel frame if a signal with SA_ONSTACK interrupts the handler.
 * Measured with gcc 12 -O2 -fstack-usage on the 64-bit and 32-bit Linux
 * targets: trampgen_posix_dispatch (chain inlined) at most 480 bytes,
 * trampgen_dispatch at most 96, die_by_default at most 336: about 1 KiB in
 * all, so 8 KiB covers trampgen and libc with room.
 * Four kernel frames plus that, and never less than 64 KiB, which leaves a
 * handler at least ~50 KiB of its own.
 */
static size_t altstack_size(void)
{
	size_t page = trampgen_os_page_size();
	size_t size = 4 * trampgen_os_min_frame() + 8192;

	if (size < 64 * 1024)
		size = 64 * 1024;
	return (size + page - 1) / page * page;
}

/* ---- attach / detach: the alternate signal stack ----------------------- */

int trampgen_os_attach(struct trampgen_thread *th)
{
	struct posix_thread *pt = th->os;
	stack_t ss, old;
	size_t size;
	void *map;

	if (pt->map == NULL) {
		if (sigaltstack(NULL, &old) != 0)
			return -1;
		if (!(old.ss_flags & SS_DISABLE)) {
			/* The thread has an alternate stack of its own: faults are
			   delivered there, and it stays the thread's. */
			th->handler_stack_low = (uintptr_t)old.ss_sp;
			th->handler_stack_high = (uintptr_t)old.ss_sp + old.ss_size;
			return 0;
		}
		size = altstack_size();
		map = trampgen_os_map_stack(size, &pt->map_size);
		if (map == NULL)
			return -1;
		ss.ss_sp = (char *)map + (pt->map_size - size);
		ss.ss_size = size;
		ss.ss_flags = 0;
		if (sigaltstack(&ss, NULL) != 0) {
			int err = errno;

			trampgen_os_unmap_stack(map, pt->map_size);
			errno = err;
			return -1;
		}
		pt->map = map;
		th->handler_stack_low = (uintptr_t)ss.ss_sp;
		th->handler_stack_high = (uintptr_t)ss.ss_sp + size;
	}
	return 0;
}

void trampgen_os_detach(struct trampgen_thread *th)
{
	struct posix_thread *pt = th->os;
	stack_t ss;

	th->handler_stack_low = th->handler_stack_high = 0;
	if (pt->map == NULL)
		return;
	/* Code running on it (a signal handler that is not trampgen's calling
	   detach, or a thread exiting from one) keeps it: removing the stack
	   under it would crash; it stays mapped, enabled, and unowned. */
	if (sigaltstack(NULL, &ss) == 0 && (ss.ss_flags & SS_ONSTACK)) {
		pt->map = NULL;
		return;
	}
	memset(&ss, 0, sizeof ss);
	ss.ss_flags = SS_DISABLE;
	sigaltstack(&ss, NULL);
	trampgen_os_unmap_stack(pt->map, pt->map_size);
	pt->map = NULL;
	pt->map_size = 0;
}

/* ---- the actions installed before trampgen ------------------------------
 *
 * One record per fault signal, published by pointer: a fault on any thread
 * loads the pointer and reads a record nobody writes again, so a fault that
 * arrives while trampgen is installed or removed on another thread still
 * finds a complete record. Records are never freed (a new one is made only
 * when the previous action differs from the recorded one); SIG_DFL has a
 * static record, which also stands for SA_RESETHAND after its first call.
 */
static struct sigaction *previous[NFAULT];
static struct sigaction dfl_record;          /* zero: SIG_DFL, empty mask, no flags */
/* Every record ever made, so that they stay reachable (not leaks). */
struct record {
	struct sigaction sa;
	struct record *older;
};
static struct record *records;
static int installed;
static pthread_mutex_t install_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

/* A fork while another thread installs (or sets a handler) must not leave
   the child's lock held by a thread the child does not have. */
static void lock_for_fork(void)
{
	pthread_mutex_lock(&install_lock);
	trampgen_handler_writers(1);
}

static void unlock_after_fork(void)
{
	trampgen_handler_writers(0);
	pthread_mutex_unlock(&install_lock);
}

static void register_atfork(void)
{
	pthread_atfork(lock_for_fork, unlock_after_fork, unlock_after_fork);
}

static void *entry(void)
{
	/* The generated declaration spells siginfo_t * as void *. */
	return (void *)trampgen_signaltramp;
}

static int is_trampgen(const struct sigaction *sa)
{
	return (sa->sa_flags & SA_SIGINFO) && (void *)sa->sa_sigaction == entry();
}

/* SIG_DFL and SIG_IGN, whatever the flags say: the kernel keeps SA_SIGINFO
   in sa_flags when SA_RESETHAND resets the handler, and the handler is one
   union with sa_sigaction. */
static int is_default(const struct sigaction *sa)
{
	return sa->sa_handler == SIG_DFL;
}

static int is_ignore(const struct sigaction *sa)
{
	return sa->sa_handler == SIG_IGN;
}

static int same_action(const struct sigaction *a, const struct sigaction *b)
{
	if (a->sa_flags != b->sa_flags)
		return 0;
	if ((a->sa_flags & SA_SIGINFO) ? a->sa_sigaction != b->sa_sigaction : a->sa_handler != b->sa_handler)
		return 0;
	for (int s = 1; s < NSIG; s++)
		if (sigismember(&a->sa_mask, s) != sigismember(&b->sa_mask, s))
			return 0;
	return 1;
}

static int signal_index(int signo)
{
	for (int i = 0; i < NFAULT; i++)
		if (fault_signals[i] == signo)
			return i;
	return -1;
}

/* Record `old` as signal i's previous action (install lock held). */
static int record_previous(int i, const struct sigaction *old)
{
	struct sigaction *cur = __atomic_load_n(&previous[i], __ATOMIC_ACQUIRE), *rec;
	struct record *r;

	if (is_trampgen(old))
		rec = &dfl_record;      /* our own entry, left by someone: no loop */
	else if (cur != NULL && same_action(cur, old))
		return 0;
	else if (is_default(old))
		rec = &dfl_record;
	else if ((r = malloc(sizeof *r)) == NULL)
		return -1;
	else {
		r->sa = *old;
		r->older = records;
		records = r;
		rec = &r->sa;
	}
	__atomic_store_n(&previous[i], rec, __ATOMIC_RELEASE);
	return 0;
}

/* ---- dying as without trampgen ------------------------------------------ */

/* The default action of signo, which for every fault signal ends the
   process. A fault the kernel raised re-executes its instruction when we
   return and dies of it there (the core shows the faulting frame); a trap
   (the PC is past it) or a sent signal does not come back: raise it, with
   the signal unblocked. Only this writes a disposition. */
static void die_by_default(int signo, const siginfo_t *info, int now)
{
	struct sigaction dfl;
	sigset_t set;

	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigaction(signo, &dfl, NULL);
	if (!now && info->si_code > 0 && signo != SIGTRAP)
		return;
	sigemptyset(&set);
	sigaddset(&set, signo);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	raise(signo);
}

static void nested_fault(const trampgen_fault *f, const siginfo_t *info, int now)
{
	char line[200];
	size_t n = trampgen_nested_message(line, sizeof line, f);

	(void)!write(2, line, n);
	/* A bug in a handler: the previous action is not asked (it could
	   well "recover" into the broken handler again); the process dies
	   of the original signal as with no handler at all. */
	die_by_default((int)f->code, info, now);
}

/* Hand an unclaimed signal to whoever would have had it without trampgen,
   as the kernel would have: with its mask, its flags, the same siginfo
   and context. */
static void chain(int signo, siginfo_t *info, void *uctx)
{
	int i = signal_index(signo);
	struct sigaction *old;
	sigset_t mask, saved;

	if (i < 0) {
		die_by_default(signo, info, 0);
		return;
	}
	for (;;) {
		old = __atomic_load_n(&previous[i], __ATOMIC_ACQUIRE);
		if (old == NULL || is_trampgen(old) || is_default(old)) {
			die_by_default(signo, info, 0);
			return;
		}
		if (is_ignore(old)) {
			/* Ignoring a sent signal stays ignoring it; a fault cannot
			   be ignored (the kernel kills the process), so die of it. */
			if (info->si_code > 0)
				die_by_default(signo, info, 0);
			return;
		}
		/* SA_RESETHAND: the kernel resets the action as it delivers the
		   signal, so exactly one delivery gets the handler; the next one
		   meets SIG_DFL. Only trampgen's record changes: the real
		   disposition stays trampgen's entry. */
		if (!(old->sa_flags & SA_RESETHAND) ||
		    __atomic_compare_exchange_n(&previous[i], &old, &dfl_record, 0,
		                                __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			break;
	}
	mask = old->sa_mask;
	if (!(old->sa_flags & SA_NODEFER))
		sigaddset(&mask, signo);
	pthread_sigmask(SIG_BLOCK, &mask, &saved);
	if (old->sa_flags & SA_SIGINFO)
		old->sa_sigaction(signo, info, uctx);
	else
		old->sa_handler(signo);
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
}

/* ---- the fault path ------------------------------------------------------ */

static void describe(trampgen_fault *f, int signo, siginfo_t *info, void *uctx, int kind)
{
	memset(f, 0, sizeof *f);
	f->kind = kind;
	f->code = (uint32_t)signo;
	f->detail = info->si_code;
	f->pc = trampgen_context_pc(uctx);
	f->context = uctx;
	f->os_info = info;
	switch (signo) {
	case SIGSEGV:
	case SIGBUS:
		f->fault_class = TRAMPGEN_FAULT_ACCESS;
		f->address = (uintptr_t)info->si_addr;
		break;
	case SIGFPE:
		f->fault_class = info->si_code == FPE_INTDIV ? TRAMPGEN_FAULT_DIVIDE : TRAMPGEN_FAULT_OTHER;
		break;
	case SIGILL:
		f->fault_class = TRAMPGEN_FAULT_ILLEGAL;
		break;
	case SIGTRAP:
		f->fault_class = TRAMPGEN_FAULT_BREAKPOINT;
		break;
	}
}

void TRAMPGEN_ABI_CC trampgen_posix_dispatch(int signo, void *info_, void *uctx, intptr_t kind)
{
	siginfo_t *info = info_;
	trampgen_fault f;
	trampgen_verdict v = TRAMPGEN_CONTINUE_SEARCH;
	int saved_errno = errno;

	/* Only faults the kernel raised are ours; a signal someone sent
	   (si_code <= 0: kill, tgkill, raise, sigqueue) is never "recovered". */
	if (info->si_code > 0) {
		describe(&f, signo, info, uctx, (int)kind);
		v = trampgen_dispatch(&f);
		if (v == TRAMPGEN_NESTED_FAULT) {
			nested_fault(&f, info, 0);
			errno = saved_errno;
			return;
		}
	}
	if (v == TRAMPGEN_CONTINUE_SEARCH)
		chain(signo, info, uctx);
	errno = saved_errno;
}

int trampgen_try_handle(int signo, siginfo_t *info, void *ucontext)
{
	trampgen_fault f;
	trampgen_verdict v;
	int saved_errno = errno;

	if (info == NULL || ucontext == NULL || info->si_code <= 0 || signal_index(signo) < 0)
		return 0;
	describe(&f, signo, info, ucontext, TRAMPGEN_KIND_SIGNAL);
	v = trampgen_dispatch(&f);
	if (v == TRAMPGEN_NESTED_FAULT)
		nested_fault(&f, info, 1);   /* not back to an embedder that might retry */
	errno = saved_errno;
	return v != TRAMPGEN_CONTINUE_SEARCH;
}

/* ---- install / uninstall ------------------------------------------------- */

int trampgen_install(void)
{
	struct sigaction sa, old;
	int i, err = 0;

	pthread_once(&atfork_once, register_atfork);
	pthread_mutex_lock(&install_lock);
	if (__atomic_load_n(&installed, __ATOMIC_ACQUIRE)) {
		pthread_mutex_unlock(&install_lock);
		return 0;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = (void (*)(int, siginfo_t *, void *))entry();
	sigemptyset(&sa.sa_mask);
	/* SA_ONSTACK: a stack overflow can only be handled on another stack.
	   SA_NODEFER: a fault inside a handler reaches the dispatcher, which
	   reports it, instead of the kernel killing the process silently; the
	   chained action gets its own signal blocked from chain(). */
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	for (i = 0; i < NFAULT; i++) {
		/* Record first, then install: a fault on another thread that
		   reaches our entry in between finds the right record. */
		memset(&old, 0, sizeof old);
		if (sigaction(fault_signals[i], NULL, &old) != 0 || record_previous(i, &old) != 0)
			break;
		memset(&old, 0, sizeof old);
		if (sigaction(fault_signals[i], &sa, &old) != 0)
			break;
		/* Changed since we looked (a third party): record what we replaced. */
		if (record_previous(i, &old) != 0) {
			i++;
			break;
		}
	}
	if (i < NFAULT) {
		err = errno;
		while (--i >= 0) {
			struct sigaction *rec = __atomic_load_n(&previous[i], __ATOMIC_ACQUIRE);

			sigaction(fault_signals[i], rec, NULL);
		}
		pthread_mutex_unlock(&install_lock);
		errno = err;
		return -1;
	}
	__atomic_store_n(&installed, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&install_lock);
	return 0;
}

void trampgen_uninstall(void)
{
	struct sigaction cur;

	pthread_mutex_lock(&install_lock);
	if (__atomic_load_n(&installed, __ATOMIC_ACQUIRE)) {
		for (int i = 0; i < NFAULT; i++) {
			struct sigaction *rec = __atomic_load_n(&previous[i], __ATOMIC_ACQUIRE);

			/* Only where our entry still is: an action someone installed
			   over trampgen since stays. */
			memset(&cur, 0, sizeof cur);
			if (sigaction(fault_signals[i], NULL, &cur) == 0 && is_trampgen(&cur))
				sigaction(fault_signals[i], rec ? rec : &dfl_record, NULL);
		}
		__atomic_store_n(&installed, 0, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&install_lock);
}

int trampgen_check_handlers(int *lost, int max)
{
	struct sigaction cur;
	int n = 0;

	if (!__atomic_load_n(&installed, __ATOMIC_ACQUIRE))
		return 0;
	for (int i = 0; i < NFAULT; i++) {
		memset(&cur, 0, sizeof cur);
		if (sigaction(fault_signals[i], NULL, &cur) == 0 && is_trampgen(&cur))
			continue;
		if (lost != NULL && n < max)
			lost[n] = fault_signals[i];
		n++;
	}
	return n;
}
