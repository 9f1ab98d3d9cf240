/*
 * POSIX backend: synchronous fault signals, delivered on a per-thread
 * alternate signal stack to the generated trampgen_signaltramp.
 *
 * A fault the dispatcher does not claim (unattached thread, no handler,
 * CONTINUE_SEARCH) goes where it would have gone without trampgen: to the
 * handler installed before ours, honouring its flags, or to the default
 * action, so the process dies of the original signal.
 */
#define _GNU_SOURCE
#include "internal.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static const int fault_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP };
#define NFAULT (int)(sizeof fault_signals / sizeof fault_signals[0])

static struct sigaction previous[NFAULT];
static int installed;

/* Alternate signal stack: ALTSTACK_SIZE usable bytes above one guard page. */
#define ALTSTACK_SIZE (64 * 1024)

struct posix_thread {
	void *map;          /* guard page + alternate stack, or NULL if the thread had its own */
	size_t map_size;
};

static __thread struct trampgen_thread thread_state __attribute__((tls_model("initial-exec")));
static __thread struct posix_thread posix_state __attribute__((tls_model("initial-exec")));
static __thread int thread_attached __attribute__((tls_model("initial-exec")));

struct trampgen_thread *trampgen_os_thread(int create)
{
	if (create) {
		thread_state.os = &posix_state;
		thread_attached = 1;
	}
	return thread_attached ? &thread_state : NULL;
}

void trampgen_os_thread_release(struct trampgen_thread *th)
{
	(void)th;
	thread_attached = 0;
}

int trampgen_os_thread_stack(uintptr_t *low, uintptr_t *high)
{
	pthread_attr_t attr;
	void *addr;
	size_t size;
	int rc;

	rc = pthread_getattr_np(pthread_self(), &attr);
	if (rc == 0) {
		rc = pthread_attr_getstack(&attr, &addr, &size);
		pthread_attr_destroy(&attr);
	}
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	*low = (uintptr_t)addr;
	*high = (uintptr_t)addr + size;
	return 0;
}

int trampgen_os_attach(struct trampgen_thread *th)
{
	struct posix_thread *pt = th->os;
	long page = sysconf(_SC_PAGESIZE);
	stack_t ss, old;

	pt->map = NULL;
	if (sigaltstack(NULL, &old) == 0 && !(old.ss_flags & SS_DISABLE))
		return 0;      /* the thread already has an alternate stack: use it */
	pt->map_size = (size_t)page + ALTSTACK_SIZE;
	pt->map = mmap(NULL, pt->map_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pt->map == MAP_FAILED) {
		pt->map = NULL;
		return -1;
	}
	/* The guard page below the stack turns an overflow of the signal stack
	   into a fault instead of silent corruption of whatever lies below. */
	if (mprotect(pt->map, (size_t)page, PROT_NONE) != 0)
		goto fail;
	ss.ss_sp = (char *)pt->map + page;
	ss.ss_size = ALTSTACK_SIZE;
	ss.ss_flags = 0;
	if (sigaltstack(&ss, NULL) != 0)
		goto fail;
	return 0;
fail:
	munmap(pt->map, pt->map_size);
	pt->map = NULL;
	return -1;
}

void trampgen_os_detach(struct trampgen_thread *th)
{
	struct posix_thread *pt = th->os;
	stack_t ss;

	if (pt->map == NULL)
		return;
	memset(&ss, 0, sizeof ss);
	ss.ss_flags = SS_DISABLE;
	sigaltstack(&ss, NULL);
	munmap(pt->map, pt->map_size);
	pt->map = NULL;
}

static int signal_index(int signo)
{
	for (int i = 0; i < NFAULT; i++)
		if (fault_signals[i] == signo)
			return i;
	return -1;
}

static void default_action(int signo, const siginfo_t *info)
{
	struct sigaction dfl;
	sigset_t set;

	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigaction(signo, &dfl, NULL);
	/* A fault re-executes the faulting instruction when we return and now
	   dies of it, with the core showing the faulting frame. A trap (the PC
	   is past it) or a sent signal does not come back: raise it. */
	if (info->si_code > 0 && signo != SIGTRAP)
		return;
	sigemptyset(&set);
	sigaddset(&set, signo);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	raise(signo);
}

/* Hand an unclaimed signal to whoever would have had it without trampgen. */
static void chain(int signo, siginfo_t *info, void *uctx)
{
	int i = signal_index(signo);
	struct sigaction *old;
	sigset_t saved;

	if (i < 0 || !installed) {
		default_action(signo, info);
		return;
	}
	old = &previous[i];
	if (!(old->sa_flags & SA_SIGINFO) && old->sa_handler == SIG_IGN) {
		/* Ignoring a sent signal stays ignoring it; a fault cannot be
		   ignored (the kernel would kill the process), so die of it. */
		if (info->si_code <= 0)
			return;
		default_action(signo, info);
		return;
	}
	if (!(old->sa_flags & SA_SIGINFO) && old->sa_handler == SIG_DFL) {
		default_action(signo, info);
		return;
	}
	/* Run the previous handler as the kernel would have: with its mask. */
	pthread_sigmask(SIG_BLOCK, &old->sa_mask, &saved);
	if (old->sa_flags & SA_SIGINFO)
		old->sa_sigaction(signo, info, uctx);
	else
		old->sa_handler(signo);
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
}

void TRAMPGEN_ABI_CC trampgen_posix_dispatch(int signo, void *info_, void *uctx, intptr_t kind)
{
	siginfo_t *info = info_;
	trampgen_fault f;
	int saved_errno = errno;

	memset(&f, 0, sizeof f);
	f.kind = (int)kind;
	f.code = (uint32_t)signo;
	f.detail = info->si_code;
	f.pc = trampgen_context_pc(uctx);
	f.context = uctx;
	f.os_info = info;
	switch (signo) {
	case SIGSEGV:
	case SIGBUS:
		f.fault_class = TRAMPGEN_FAULT_ACCESS;
		f.address = (uintptr_t)info->si_addr;
		break;
	case SIGFPE:
		f.fault_class = info->si_code == FPE_INTDIV ? TRAMPGEN_FAULT_DIVIDE : TRAMPGEN_FAULT_OTHER;
		break;
	case SIGILL:
		f.fault_class = TRAMPGEN_FAULT_ILLEGAL;
		break;
	case SIGTRAP:
		f.fault_class = TRAMPGEN_FAULT_BREAKPOINT;
		break;
	}
	/* Only faults the kernel raised are ours; a signal someone sent
	   (si_code <= 0: kill, raise, sigqueue) goes where it always went. */
	if (info->si_code <= 0 || trampgen_dispatch(&f) == TRAMPGEN_CONTINUE_SEARCH)
		chain(signo, info, uctx);
	errno = saved_errno;
}

int trampgen_install(void)
{
	struct sigaction sa;

	if (installed)
		return 0;
	memset(&sa, 0, sizeof sa);
	/* The generated declaration spells siginfo_t * as void *. */
	sa.sa_sigaction = (void (*)(int, siginfo_t *, void *))(void (*)(void))trampgen_signaltramp;
	sigemptyset(&sa.sa_mask);
	/* SA_ONSTACK: a stack overflow can only be handled on another stack.
	   SA_NODEFER: a fault inside a handler reaches the dispatcher, which
	   passes it on (to the previous handler or the default action) instead
	   of the kernel killing the process with no chance to chain. */
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	for (int i = 0; i < NFAULT; i++) {
		if (sigaction(fault_signals[i], &sa, &previous[i]) != 0) {
			while (--i >= 0)
				sigaction(fault_signals[i], &previous[i], NULL);
			return -1;
		}
	}
	installed = 1;
	return 0;
}

void trampgen_uninstall(void)
{
	if (!installed)
		return;
	for (int i = 0; i < NFAULT; i++)
		sigaction(fault_signals[i], &previous[i], NULL);
	installed = 0;
}
