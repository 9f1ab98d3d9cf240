/*
 * The runtime reliability suite: one program, one scenario per run
 * (`stress NAME`; `stress` alone lists them), each driving the runtime hard
 * from several threads through its public API (trampgen.h) only, and
 * asserting exact counts: every fault claimed and recovered exactly once,
 * every handler call with its own user pointer, every signal disposition
 * back where it was.
 *
 * Exit status: 0 passed, 1 failed, 77 not applicable here (the reason is
 * printed after "skipped: "; CTest reports it as skipped, never as passed).
 *
 * Iteration counts are fixed; TRAMPGEN_STRESS_SCALE=N (set by CMake for an
 * emulated or sanitized build) divides them by N. Nothing here measures
 * time: a run that hangs is ended by CTest's TIMEOUT, a child that hangs by
 * the parent's bounded wait.
 *
 * The faults are ISA-neutral: a read through a volatile pointer near 0, in
 * a function no sanitizer instruments. A handler recovers with
 * trampgen_inject_call to recover(), which jumps back to where the fault
 * was provoked.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "trampgen.h"

#define FAULT_KIND TRAMPGEN_KIND_SIGNAL
#define SKIPPED SCENARIO_SKIPPED

#include "../../faults/check.h"

/* ---- iteration counts ------------------------------------------------------ */

static long scale = 1;

/* A native count, divided by TRAMPGEN_STRESS_SCALE; never below `floor`. */
static long scaled(long native, long floor)
{
	long n = native / scale;

	return n < floor ? floor : n;
}

/* ---- faulting and coming back ---------------------------------------------- */

/*
 * A function that a fault leaves through recover() must not be analysed
 * across calls: GCC's interprocedural register allocation would let its
 * caller keep values in registers the normal path does not touch, and the
 * injected call does.
 */
#if defined(__has_attribute)
#if __has_attribute(noipa)
#define NOIPA __attribute__((noipa))
#endif
#endif
#ifndef NOIPA
#define NOIPA
#endif
#define NOINLINE __attribute__((noinline)) NOIPA
/* This exists to fault in hardware: no sanitizer checks the access first. */
#define FAULTS __attribute__((noinline, no_sanitize("address", "undefined", "thread"))) NOIPA

FAULTS static int read_at(volatile int *p) { return *p; }
static volatile int sink;

/*
 * Back from recover() to fault_at(). ThreadSanitizer keeps a shadow call
 * stack that only its own (intercepted) setjmp/longjmp unwind; everywhere
 * else __builtin_setjmp is the lightest (no signal mask, no unwinding), and
 * AddressSanitizer must be told that frames are being left behind.
 */
#if defined(__SANITIZE_THREAD__)
typedef sigjmp_buf jump_buf;
#define SET_JUMP(b) sigsetjmp(b, 0)
#define JUMP(b) siglongjmp(b, 1)
#else
typedef void *jump_buf[5];
#define SET_JUMP(b) __builtin_setjmp(b)
#if defined(__SANITIZE_ADDRESS__)
void __asan_handle_no_return(void);
#define JUMP(b) (__asan_handle_no_return(), __builtin_longjmp(b, 1))
#else
#define JUMP(b) __builtin_longjmp(b, 1)
#endif
#endif

/* One thread's view of a scenario. Written by that thread (its handlers
   included), read by others after joining it. */
struct worker {
	int index;
	volatile int *fault_addr;     /* what this thread reads to fault */
	pthread_t self;               /* pthread_self() when it started */
	uintptr_t stack_lo, stack_hi; /* its system stack (for the storms) */
	int attach_rc, attach_errno;
	long faults;                  /* faults provoked */
	long not_faulted;             /* reads that did not fault */
	long claimed;                 /* trampgen handler calls */
	long wrong_address;           /* of those, with another fault address */
	long recovered;               /* arrivals in recover() */
	long next_calls;              /* calls of the test's own (previous) handler */
	long deliveries;              /* SIGUSR1 handler calls */
	long at_system_stack;         /* ... that interrupted a resume on the system stack */
	long a_calls, b_calls;
	int tcb_ok, tls_ok, canary_ok, detach_rc;
	volatile int done;
};

static __thread struct worker *me;
static __thread jump_buf jump;

static void TRAMPGEN_ABI_CC recover(uintptr_t arg)
{
	struct worker *w = (struct worker *)arg;

	w->recovered++;
	JUMP(jump);
}

/* Fault once; 1 when it faulted and recover() brought us back. */
NOINLINE static int fault_once(struct worker *w)
{
	w->faults++;
	if (SET_JUMP(jump) == 0) {
		sink = read_at(w->fault_addr);
		w->not_faulted++;
		return 0;
	}
	return 1;
}

static void fault_n(struct worker *w, long n)
{
	for (volatile long i = 0; i < n; i++)
		fault_once(w);
}

static void init_worker(struct worker *w, int index)
{
	memset(w, 0, sizeof *w);
	w->index = index;
	w->fault_addr = (volatile int *)(uintptr_t)(64 + 16 * index);
}

/* The common handler body: count, check the address, send the thread to recover(). */
static trampgen_verdict claim(trampgen_fault *f, struct worker *w)
{
	w->claimed++;
	if (f->fault_class != TRAMPGEN_FAULT_ACCESS || f->address != (uintptr_t)w->fault_addr)
		w->wrong_address++;
	trampgen_inject_call(f->context, (uintptr_t)recover, (uintptr_t)w);
	return TRAMPGEN_CONTINUE_EXECUTION;
}

static trampgen_verdict h_recover(trampgen_fault *f, void *user)
{
	struct worker *w = me;

	(void)user;
	if (w == NULL)
		return TRAMPGEN_CONTINUE_SEARCH;
	return claim(f, w);
}

/* ---- helpers --------------------------------------------------------------- */

static int start_thread(pthread_t *t, void *(*fn)(void *), void *arg)
{
	int rc = pthread_create(t, NULL, fn, arg);

	if (rc != 0)
		printf("  pthread_create: %s\n", strerror(rc));
	return rc;
}

static int all_done(struct worker *w, int n)
{
	for (int i = 0; i < n; i++)
		if (!__atomic_load_n(&w[i].done, __ATOMIC_ACQUIRE))
			return 0;
	return 1;
}

/* Lines of /proc/self/maps: one per mapping. */
static long map_lines(void)
{
	char buf[4096];
	long lines = 0;
	ssize_t n;
	int fd = open("/proc/self/maps", O_RDONLY);

	if (fd < 0)
		return -1;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		for (ssize_t i = 0; i < n; i++)
			lines += buf[i] == '\n';
	close(fd);
	return lines;
}

/* Whether every page of [lo, hi) is mapped (mincore fails with ENOMEM otherwise). */
static int mapped(uintptr_t lo, uintptr_t hi)
{
	static unsigned char vec[4096];
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);

	lo &= ~(page - 1);
	if ((hi - lo) / page > sizeof vec)
		return -1;
	return mincore((void *)lo, hi - lo, vec) == 0;
}

static int same_handler(int signo, void (*fn)(int, siginfo_t *, void *))
{
	struct sigaction sa;

	return sigaction(signo, NULL, &sa) == 0 && (sa.sa_flags & SA_SIGINFO) && sa.sa_sigaction == fn;
}

/* trampgen's entry as sigaction reports it (the generated declaration
   spells siginfo_t * as void *). */
#define TRAMPGEN_ENTRY ((void (*)(int, siginfo_t *, void *))(void (*)(void))trampgen_signaltramp)

/* The test's own fault handler, installed before trampgen: where trampgen
   passes the faults it does not claim. It recovers them just the same. */
static void next_handler(int signo, siginfo_t *info, void *uctx)
{
	struct worker *w = me;
	struct sigaction dfl;

	(void)info;
	if (w != NULL) {
		w->next_calls++;
		trampgen_inject_call(uctx, (uintptr_t)recover, (uintptr_t)w);
		return;
	}
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	sigaction(signo, &dfl, NULL);   /* not a test fault: die of it */
}

static void install_next_handler(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = next_handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

/* ---- signal storms at sigresume ---------------------------------------------- */

#define STORM_THREADS 2
#define TLS_CANARY_WORDS 64
#define CANARY_ZONE 4096
#define CANARY_BYTE 0xA5
#define PRIVATE_STACK (64 * 1024)

static __thread uintptr_t tls_canary[TLS_CANARY_WORDS];
static volatile long stray_deliveries;

static uintptr_t canary_word(int i)
{
	return (uintptr_t)0x5eed0000u + (uintptr_t)i * 0x01010101u;
}

/*
 * SIGUSR1, installed WITHOUT SA_ONSTACK: its frame goes wherever the thread's
 * SP is. One that interrupts a resume passing through trampgen_sigresume
 * lands on the system stack: that stack must be memory nothing else uses.
 * It also uses some stack of its own, as real handlers do.
 */
static void on_usr1(int signo, siginfo_t *info, void *uctx)
{
	struct worker *w = me;
	volatile char scratch[512];
	uintptr_t sp = trampgen_context_sp(uctx);

	(void)signo;
	(void)info;
	if (w == NULL) {
		__atomic_add_fetch(&stray_deliveries, 1, __ATOMIC_RELAXED);
		return;
	}
	for (unsigned i = 0; i < sizeof scratch; i += 64)
		scratch[i] = (char)i;
	w->deliveries++;
	if (sp >= w->stack_lo && sp <= w->stack_hi)
		w->at_system_stack++;
}

static void block_usr1(int how)
{
	sigset_t usr1;

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	pthread_sigmask(how, &usr1, NULL);
}

static void unblock_usr1(void)
{
	block_usr1(SIG_UNBLOCK);
}

/*
 * Let every SIGUSR1 already delivered reach on_usr1. Natively it has; a
 * ThreadSanitizer build defers a delivered signal to the thread's next
 * intercepted call, which this is.
 */
static void settle_usr1(void)
{
	sigset_t none;

	sigemptyset(&none);
	pthread_sigmask(SIG_BLOCK, &none, NULL);
}

static void install_usr1(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_usr1;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;    /* deliberately no SA_ONSTACK */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
}

/*
 * Claim the fault, and make sure a SIGUSR1 is pending when the resume
 * starts: blocked here, it is unblocked when the kernel restores the
 * interrupted mask on the way out, so it arrives exactly at
 * trampgen_sigresume, on the system stack. (The storm thread adds more, at
 * random points.)
 */
static trampgen_verdict h_storm(trampgen_fault *f, void *user)
{
	struct worker *w = me;

	(void)user;
	if (w == NULL)
		return TRAMPGEN_CONTINUE_SEARCH;
	block_usr1(SIG_BLOCK);
	raise(SIGUSR1);
	return claim(f, w);
}

static unsigned char private_area[STORM_THREADS][CANARY_ZONE + PRIVATE_STACK + CANARY_ZONE]
	__attribute__((aligned(4096)));
static int storm_private_stacks;
static size_t private_size;       /* of each caller-provided system stack */
static long storm_faults;

/* Whether the thread's own TCB and TLS survived. */
static int tcb_intact(struct worker *w)
{
	pthread_attr_t attr;
	void *lo;
	size_t size;
	volatile char here;
	int ok = pthread_equal(pthread_self(), w->self);

	if (pthread_getattr_np(pthread_self(), &attr) != 0)
		return 0;
	if (pthread_attr_getstack(&attr, &lo, &size) != 0)
		ok = 0;
	pthread_attr_destroy(&attr);
	ok &= (uintptr_t)&here >= (uintptr_t)lo && (uintptr_t)&here < (uintptr_t)lo + size;
	errno = 12345;
	ok &= errno == 12345;
	return ok;
}

static void *storm_worker(void *arg)
{
	struct worker *w = arg;
	unsigned char *area = private_area[w->index];
	int ok = 1;

	me = w;
	unblock_usr1();    /* blocked until `me` says whose deliveries they are */
	w->self = pthread_self();
	for (int i = 0; i < TLS_CANARY_WORDS; i++)
		tls_canary[i] = canary_word(i);
	if (storm_private_stacks) {
		memset(area, CANARY_BYTE, sizeof private_area[0]);
		w->attach_rc = trampgen_attach(area + CANARY_ZONE, private_size);
		w->stack_lo = (uintptr_t)area + CANARY_ZONE;
	} else {
		w->attach_rc = trampgen_attach(NULL, 0);
	}
	w->attach_errno = errno;
	if (w->attach_rc == 0) {
		w->stack_hi = trampgen_system_stack_top();
		if (!storm_private_stacks)
			w->stack_lo = w->stack_hi - TRAMPGEN_SYSTEM_STACK_DEFAULT;
		fault_n(w, storm_faults);
		settle_usr1();
	}
	w->tcb_ok = tcb_intact(w) && trampgen_attached() == (w->attach_rc == 0);
	for (int i = 0; i < TLS_CANARY_WORDS; i++)
		ok &= tls_canary[i] == canary_word(i);
	w->tls_ok = ok;
	if (storm_private_stacks) {
		ok = 1;
		for (unsigned i = 0; i < CANARY_ZONE; i++)
			ok &= area[i] == CANARY_BYTE && area[CANARY_ZONE + private_size + i] == CANARY_BYTE;
		w->canary_ok = ok;
	}
	w->detach_rc = trampgen_detach();
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static int storm(int private_stacks)
{
	struct worker w[STORM_THREADS];
	pthread_t t[STORM_THREADS];
	long sent = 0;
	int started = 0;

	storm_private_stacks = private_stacks;
	storm_faults = scaled(50000, 200);
	if (private_stacks)
		printf("  %d threads x %ld faults, caller-provided system stacks of %lu bytes between canary zones, "
		       "SIGUSR1 storm without SA_ONSTACK\n", STORM_THREADS, storm_faults, (unsigned long)private_size);
	else
		printf("  %d threads x %ld faults, trampgen-mapped system stacks (attach(NULL, 0)), "
		       "SIGUSR1 storm without SA_ONSTACK\n", STORM_THREADS, storm_faults);
	install_usr1();
	if (trampgen_install() != 0) {
		printf("  FAIL trampgen_install: %s\n", strerror(errno));
		return 1;
	}
	trampgen_set_handler(FAULT_KIND, h_storm, NULL);
	block_usr1(SIG_BLOCK);     /* inherited; each worker unblocks it once ready */
	for (; started < STORM_THREADS; started++) {
		init_worker(&w[started], started);
		if (start_thread(&t[started], storm_worker, &w[started]) != 0)
			break;
	}
	if (started < STORM_THREADS) {
		for (int i = 0; i < started; i++)
			pthread_join(t[i], NULL);
		printf("skipped: cannot create threads here\n");
		return SKIPPED;
	}
	/* The storm: SIGUSR1 to every worker, as fast as it goes, until all are done. */
	while (!all_done(w, STORM_THREADS)) {
		for (int i = 0; i < STORM_THREADS; i++)
			if (!__atomic_load_n(&w[i].done, __ATOMIC_ACQUIRE) && pthread_kill(t[i], SIGUSR1) == 0)
				sent++;
	}
	for (int i = 0; i < STORM_THREADS; i++)
		pthread_join(t[i], NULL);
	block_usr1(SIG_UNBLOCK);
	trampgen_set_handler(FAULT_KIND, NULL, NULL);
	printf("  %ld SIGUSR1 sent by the storm thread\n", sent);
	for (int i = 0; i < STORM_THREADS; i++) {
		printf("  thread %d: %ld faults, %ld claimed, %ld recovered, %ld SIGUSR1 delivered, %ld of them on the system stack\n",
		       i, w[i].faults, w[i].claimed, w[i].recovered, w[i].deliveries, w[i].at_system_stack);
		CHECK(w[i].attach_rc == 0, "thread %d: attach failed: %s", i, strerror(w[i].attach_errno));
		CHECK(w[i].not_faulted == 0, "thread %d: %ld reads did not fault", i, w[i].not_faulted);
		CHECK(w[i].claimed == storm_faults, "thread %d: %ld of %ld faults claimed", i, w[i].claimed, storm_faults);
		CHECK(w[i].recovered == storm_faults, "thread %d: %ld of %ld faults recovered", i, w[i].recovered, storm_faults);
		CHECK(w[i].wrong_address == 0, "thread %d: %ld faults with another address", i, w[i].wrong_address);
		/* Every resume had a SIGUSR1 pending as it reached sigresume. */
		CHECK(w[i].at_system_stack >= storm_faults, "thread %d: only %ld deliveries interrupted a resume on the system stack",
		      i, w[i].at_system_stack);
		CHECK(w[i].tcb_ok, "thread %d: its thread control block is damaged (pthread_self/pthread_getattr_np/errno)", i);
		CHECK(w[i].tls_ok, "thread %d: its TLS canaries changed", i);
		if (private_stacks)
			CHECK(w[i].canary_ok, "thread %d: a canary zone around its system stack was written", i);
		CHECK(w[i].detach_rc == 0, "thread %d: detach returned %d", i, w[i].detach_rc);
	}
	CHECK(stray_deliveries == 0, "%ld SIGUSR1 delivered to a thread that is not a worker", stray_deliveries);
	return 0;
}

static int scenario_storm_default(void)
{
	return storm(0);
}

/* The attach contract for caller-provided stacks, then the storm on them. */
static int scenario_storm_private(void)
{
	static unsigned char area[CANARY_ZONE + 4 * PRIVATE_STACK] __attribute__((aligned(4096)));
	size_t min = trampgen_system_stack_min();
	size_t align = TRAMPGEN_STACK_ALIGNMENT;
	size_t ok_size = (min + align - 1) / align * align;
	unsigned char *base = area + CANARY_ZONE;
	int rc, e;

	printf("  trampgen_system_stack_min() = %lu\n", (unsigned long)min);
	CHECK(min > 0 && min <= PRIVATE_STACK, "system stack minimum %lu (this test gives %u)", (unsigned long)min, PRIVATE_STACK);
	if (min == 0 || ok_size > PRIVATE_STACK)
		return 1;
	/* Too small for one signal frame: refused, the thread stays unattached. */
	errno = 0;
	rc = trampgen_attach(base, ok_size - 1);
	e = errno;
	CHECK(rc == -1 && e == EINVAL, "attach of %lu bytes: %d, errno %d", (unsigned long)(ok_size - 1), rc, e);
	CHECK(!trampgen_attached(), "attached after a refused attach");
	/* A range that wraps around the address space. */
	errno = 0;
	rc = trampgen_attach((void *)(UINTPTR_MAX & ~(uintptr_t)4095), 2 * 4096);
	e = errno;
	CHECK(rc == -1 && e == EINVAL, "attach of a wrapping range: %d, errno %d", rc, e);
	CHECK(!trampgen_attached(), "attached after a refused attach");
	/* Exactly the minimum: accepted, with its top inside the range. */
	rc = trampgen_attach(base, ok_size);
	CHECK(rc == 0, "attach of the minimum, %lu bytes: %s", (unsigned long)ok_size, strerror(errno));
	CHECK(trampgen_system_stack_top() > (uintptr_t)base && trampgen_system_stack_top() <= (uintptr_t)base + ok_size,
	      "system stack top %#lx outside [%p, %p]", (unsigned long)trampgen_system_stack_top(),
	      (void *)base, (void *)(base + ok_size));
	CHECK(trampgen_detach() == 0, "detach");
	/* The storm on stacks of exactly that size: one signal frame and the
	   handler it runs must fit (the canary zones say if they did not). */
	private_size = ok_size;
	rc = storm(1);
	return rc;
}

/* ---- handler updates while faults are in flight ------------------------------- */

#define UPDATE_THREADS 4

static int ua, ub;
static volatile long pair_mismatches;

static trampgen_verdict h_b(trampgen_fault *f, void *user);

static trampgen_verdict h_a(trampgen_fault *f, void *user)
{
	struct worker *w = me;

	if (w == NULL)
		return TRAMPGEN_CONTINUE_SEARCH;
	if (user != &ua)
		__atomic_add_fetch(&pair_mismatches, 1, __ATOMIC_RELAXED);
	/* A handler may change the handler too. */
	if (++w->a_calls % 8 == 0)
		trampgen_set_handler(FAULT_KIND, h_b, &ub);
	return claim(f, w);
}

static trampgen_verdict h_b(trampgen_fault *f, void *user)
{
	struct worker *w = me;

	if (w == NULL)
		return TRAMPGEN_CONTINUE_SEARCH;
	if (user != &ub)
		__atomic_add_fetch(&pair_mismatches, 1, __ATOMIC_RELAXED);
	if (++w->b_calls % 8 == 0)
		trampgen_set_handler(FAULT_KIND, h_a, &ua);
	return claim(f, w);
}

static long update_faults;
static pthread_t updater;
static volatile long signal_flips;

/* The updater's SIGUSR1: flip the pair from a signal handler, which may
   have interrupted the updater inside trampgen_set_handler. */
static void flip_in_signal(int signo)
{
	(void)signo;
	if (__atomic_add_fetch(&signal_flips, 1, __ATOMIC_RELAXED) % 2)
		trampgen_set_handler(FAULT_KIND, h_b, &ub);
	else
		trampgen_set_handler(FAULT_KIND, h_a, &ua);
}

static void *update_worker(void *arg)
{
	struct worker *w = arg;

	me = w;
	w->attach_rc = trampgen_attach(NULL, 0);
	w->attach_errno = errno;
	for (long i = 0; w->attach_rc == 0 && i < update_faults; i++) {
		fault_once(w);
		if (i % 16 == 0)
			pthread_kill(updater, SIGUSR1);
	}
	w->detach_rc = trampgen_detach();
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static int scenario_handler_updates(void)
{
	struct worker w[UPDATE_THREADS];
	pthread_t t[UPDATE_THREADS];
	long updates = 0, a = 0, b = 0;
	int started = 0;

	struct sigaction sa;

	update_faults = scaled(50000, 500);
	printf("  %d threads x %ld faults; this thread alternates (A, &ua) and (B, &ub), in a loop and in a "
	       "SIGUSR1 handler the faulting threads trigger every 16 faults; the handlers flip it too\n",
	       UPDATE_THREADS, update_faults);
	updater = pthread_self();
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = flip_in_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	if (trampgen_install() != 0) {
		printf("  FAIL trampgen_install: %s\n", strerror(errno));
		return 1;
	}
	trampgen_set_handler(FAULT_KIND, h_a, &ua);
	for (; started < UPDATE_THREADS; started++) {
		init_worker(&w[started], started);
		if (start_thread(&t[started], update_worker, &w[started]) != 0)
			break;
	}
	while (started == UPDATE_THREADS && !all_done(w, UPDATE_THREADS)) {
		trampgen_set_handler(FAULT_KIND, h_b, &ub);
		trampgen_set_handler(FAULT_KIND, h_a, &ua);
		updates += 2;
	}
	for (int i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	if (started < UPDATE_THREADS) {
		printf("skipped: cannot create threads here\n");
		return SKIPPED;
	}
	trampgen_set_handler(FAULT_KIND, NULL, NULL);
	for (int i = 0; i < UPDATE_THREADS; i++) {
		a += w[i].a_calls;
		b += w[i].b_calls;
		CHECK(w[i].attach_rc == 0, "thread %d: attach failed: %s", i, strerror(w[i].attach_errno));
		CHECK(w[i].not_faulted == 0 && w[i].claimed == update_faults && w[i].recovered == update_faults,
		      "thread %d: %ld faults, %ld claimed, %ld recovered, %ld did not fault", i,
		      w[i].faults, w[i].claimed, w[i].recovered, w[i].not_faulted);
		CHECK(w[i].wrong_address == 0, "thread %d: %ld faults with another address", i, w[i].wrong_address);
		CHECK(w[i].detach_rc == 0, "thread %d: detach returned %d", i, w[i].detach_rc);
	}
	printf("  %ld updates in the loop, %ld in a signal handler; %ld calls of A, %ld of B\n", updates, signal_flips, a, b);
	CHECK(signal_flips > 0, "no SIGUSR1 reached the updating thread");
	CHECK(a + b == UPDATE_THREADS * update_faults, "%ld handler calls for %ld faults", a + b, UPDATE_THREADS * update_faults);
	CHECK(a > 0 && b > 0, "A ran %ld times, B %ld times", a, b);
	CHECK(pair_mismatches == 0, "%ld calls saw the other handler's user pointer", pair_mismatches);
	return 0;
}

/* ---- install / uninstall racing faults on unattached threads ------------------- */

#define RACE_FAULTERS 2
#define RACE_INSTALLERS 2

static volatile int race_stop;
static volatile long race_install_errors, race_toggles, trampgen_calls;
static pthread_barrier_t race_start, race_end;
static long race_rounds;

static trampgen_verdict h_must_not_run(trampgen_fault *f, void *user)
{
	(void)f;
	(void)user;
	__atomic_add_fetch(&trampgen_calls, 1, __ATOMIC_RELAXED);
	return TRAMPGEN_CONTINUE_SEARCH;
}

/* Round by round, two threads call trampgen_install at the same moment. */
static void *race_installer_rounds(void *arg)
{
	(void)arg;
	for (long r = 0; r < race_rounds; r++) {
		pthread_barrier_wait(&race_start);
		if (trampgen_install() != 0)
			__atomic_add_fetch(&race_install_errors, 1, __ATOMIC_RELAXED);
		pthread_barrier_wait(&race_end);
	}
	return NULL;
}

static long race_faults;

static void *race_faulter(void *arg)
{
	struct worker *w = arg;

	me = w;   /* never attached */
	/* Start once trampgen is being installed and removed. */
	while (__atomic_load_n(&race_toggles, __ATOMIC_ACQUIRE) == 0)
		sched_yield();
	fault_n(w, race_faults);
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void *race_toggler(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&race_stop, __ATOMIC_ACQUIRE)) {
		if (trampgen_install() != 0)
			__atomic_add_fetch(&race_install_errors, 1, __ATOMIC_RELAXED);
		trampgen_uninstall();
		__atomic_add_fetch(&race_toggles, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void *race_installer(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&race_stop, __ATOMIC_ACQUIRE))
		if (trampgen_install() != 0)
			__atomic_add_fetch(&race_install_errors, 1, __ATOMIC_RELAXED);
	return NULL;
}

static const int fault_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP };
#define NFAULT_SIGNALS (int)(sizeof fault_signals / sizeof fault_signals[0])

static int dispositions_as_before(const struct sigaction *before)
{
	int ok = 1;

	for (int i = 0; i < NFAULT_SIGNALS; i++) {
		struct sigaction now;

		sigaction(fault_signals[i], NULL, &now);
		if ((now.sa_flags & SA_SIGINFO) != (before[i].sa_flags & SA_SIGINFO) ||
		    ((now.sa_flags & SA_SIGINFO) ? now.sa_sigaction != before[i].sa_sigaction
		                                 : now.sa_handler != before[i].sa_handler)) {
			printf("  signal %d: handler %p, before trampgen %p\n", fault_signals[i],
			       (now.sa_flags & SA_SIGINFO) ? (void *)now.sa_sigaction : (void *)now.sa_handler,
			       (before[i].sa_flags & SA_SIGINFO) ? (void *)before[i].sa_sigaction : (void *)before[i].sa_handler);
			ok = 0;
		}
	}
	return ok;
}

static int scenario_install_race(void)
{
	struct sigaction before[NFAULT_SIGNALS];
	struct worker main_w, w[RACE_FAULTERS];
	pthread_t inst[RACE_INSTALLERS], t[RACE_FAULTERS], toggler, more[RACE_INSTALLERS];
	long wrong_while_installed = 0, wrong_after = 0, main_lost = 0;
	int started = 0;

	race_rounds = scaled(5000, 50);
	race_faults = scaled(100000, 500);
	install_next_handler();
	for (int i = 0; i < NFAULT_SIGNALS; i++)
		sigaction(fault_signals[i], NULL, &before[i]);
	trampgen_set_handler(FAULT_KIND, h_must_not_run, NULL);

	/* 1. Concurrent installs, then one uninstall: the test's handler is back,
	      and a fault meanwhile reaches it exactly once. */
	printf("  %ld rounds: 2 threads install at once, this thread faults once, then uninstalls\n", race_rounds);
	init_worker(&main_w, RACE_FAULTERS);
	me = &main_w;
	pthread_barrier_init(&race_start, NULL, 1 + RACE_INSTALLERS);
	pthread_barrier_init(&race_end, NULL, 1 + RACE_INSTALLERS);
	for (; started < RACE_INSTALLERS; started++)
		if (start_thread(&inst[started], race_installer_rounds, NULL) != 0)
			break;
	if (started < RACE_INSTALLERS) {
		printf("skipped: cannot create threads here\n");
		_exit(SKIPPED);    /* the barrier holds the others: nothing to clean up but the process */
	}
	for (long r = 0; r < race_rounds; r++) {
		long before_calls = main_w.next_calls;

		pthread_barrier_wait(&race_start);
		pthread_barrier_wait(&race_end);
		wrong_while_installed += !same_handler(SIGSEGV, TRAMPGEN_ENTRY);
		fault_once(&main_w);
		main_lost += main_w.next_calls != before_calls + 1;
		trampgen_uninstall();
		if (!same_handler(SIGSEGV, next_handler)) {
			wrong_after++;
			install_next_handler();   /* go on with the next round from a clean state */
		}
	}
	for (int i = 0; i < RACE_INSTALLERS; i++)
		pthread_join(inst[i], NULL);
	CHECK(wrong_while_installed == 0, "%ld rounds without trampgen's entry installed after install", wrong_while_installed);
	CHECK(main_lost == 0, "%ld rounds where the fault did not reach the test's handler exactly once", main_lost);
	CHECK(wrong_after == 0, "%ld rounds where uninstall did not put the test's handler back", wrong_after);
	CHECK(main_w.not_faulted == 0 && main_w.recovered == race_rounds && main_w.next_calls == race_rounds,
	      "%ld faults, %ld reached the test's handler, %ld recovered", main_w.faults, main_w.next_calls, main_w.recovered);

	/* 2. Unattached threads fault in a loop while one thread toggles
	      install/uninstall and two more install. */
	printf("  %d unattached threads x %ld faults; 1 thread toggles install/uninstall, %d more install\n",
	       RACE_FAULTERS, race_faults, RACE_INSTALLERS);
	if (start_thread(&toggler, race_toggler, NULL) != 0 || start_thread(&more[0], race_installer, NULL) != 0 ||
	    start_thread(&more[1], race_installer, NULL) != 0) {
		printf("skipped: cannot create threads here\n");
		_exit(SKIPPED);
	}
	started = 0;
	for (; started < RACE_FAULTERS; started++) {
		init_worker(&w[started], started);
		if (start_thread(&t[started], race_faulter, &w[started]) != 0)
			break;
	}
	if (started < RACE_FAULTERS) {
		printf("skipped: cannot create threads here\n");
		_exit(SKIPPED);
	}
	for (int i = 0; i < RACE_FAULTERS; i++)
		pthread_join(t[i], NULL);
	__atomic_store_n(&race_stop, 1, __ATOMIC_RELEASE);
	pthread_join(toggler, NULL);
	for (int i = 0; i < RACE_INSTALLERS; i++)
		pthread_join(more[i], NULL);
	trampgen_uninstall();
	printf("  %ld install/uninstall toggles\n", race_toggles);
	for (int i = 0; i < RACE_FAULTERS; i++)
		CHECK(w[i].not_faulted == 0 && w[i].next_calls == race_faults && w[i].recovered == race_faults,
		      "thread %d: %ld faults, %ld reached the test's handler, %ld recovered", i,
		      w[i].faults, w[i].next_calls, w[i].recovered);
	CHECK(race_toggles > 0, "the toggler never ran");
	CHECK(race_install_errors == 0, "trampgen_install failed %ld times", race_install_errors);
	CHECK(trampgen_calls == 0, "trampgen's handler ran %ld times for unattached threads", trampgen_calls);
	CHECK(same_handler(SIGSEGV, next_handler), "after the last uninstall SIGSEGV is not the test's handler");
	CHECK(dispositions_as_before(before), "fault signal dispositions differ from before trampgen");
	return 0;
}

/* ---- fork ---------------------------------------------------------------------- */

#define FORK_THREADS 2

static long fork_faults, child_faults;
static struct worker child_w;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One line to stdout without stdio's locks (a forked child of a threaded process). */
static void say(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n > 0)
		(void)!write(1, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

static int child_round(const char *what)
{
	long claimed = child_w.claimed, recovered = child_w.recovered, at = child_w.at_system_stack;

	child_w.stack_hi = trampgen_system_stack_top();
	child_w.stack_lo = child_w.stack_hi - TRAMPGEN_SYSTEM_STACK_DEFAULT;
	fault_n(&child_w, child_faults);
	settle_usr1();
	claimed = child_w.claimed - claimed;
	recovered = child_w.recovered - recovered;
	at = child_w.at_system_stack - at;
	if (claimed != child_faults || recovered != child_faults || at < child_faults || child_w.not_faulted) {
		say("  child %d, %s: %ld claimed, %ld recovered, %ld SIGUSR1 on the system stack of %ld faults\n",
		    (int)getpid(), what, claimed, recovered, at, child_faults);
		return 1;
	}
	return 0;
}

/*
 * In the child: install works whatever the parent's toggler was doing at
 * the fork, the attachment it inherited works, detach and attach again
 * work, and uninstall puts the handler from before trampgen back.
 */
static int fork_child(void)
{
	int bad = 0;

	alarm(30);    /* a hang ends as SIGALRM, which the parent reports */
	init_worker(&child_w, FORK_THREADS);
	me = &child_w;
	if (trampgen_install() != 0 || trampgen_set_handler(FAULT_KIND, h_storm, NULL) != 0) {
		say("  child: install or set_handler failed: %s\n", strerror(errno));
		return 1;
	}
	if (!trampgen_attached()) {
		say("  child: not attached after fork\n");
		return 1;
	}
	bad |= child_round("inherited attachment");
	if (trampgen_detach() != 0 || trampgen_attached()) {
		say("  child: detach failed\n");
		return 1;
	}
	if (trampgen_attach(NULL, 0) != 0) {
		say("  child: attach failed: %s\n", strerror(errno));
		return 1;
	}
	bad |= child_round("attached again");
	bad |= trampgen_detach() != 0;
	trampgen_uninstall();
	if (!same_handler(SIGSEGV, next_handler)) {
		say("  child: after uninstall SIGSEGV is not the handler from before trampgen\n");
		bad = 1;
	}
	return bad;
}

static volatile int fork_stop;
static volatile long fork_toggles;

/* In the parent, while it forks: one thread installs and uninstalls in a loop ... */
static void *fork_toggler(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&fork_stop, __ATOMIC_ACQUIRE)) {
		trampgen_install();
		trampgen_uninstall();
		__atomic_add_fetch(&fork_toggles, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* ... and another sets the handler (the same function, its user pointer
   alternating) in a loop, so that it is often inside set_handler at the fork. */
static void *fork_setter(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&fork_stop, __ATOMIC_ACQUIRE)) {
		trampgen_set_handler(FAULT_KIND, h_storm, &ua);
		trampgen_set_handler(FAULT_KIND, h_storm, &ub);
	}
	return NULL;
}

static void *fork_worker(void *arg)
{
	struct worker *w = arg;

	me = w;
	w->attach_rc = trampgen_attach(NULL, 0);
	if (w->attach_rc == 0) {
		w->stack_hi = trampgen_system_stack_top();
		w->stack_lo = w->stack_hi - TRAMPGEN_SYSTEM_STACK_DEFAULT;
		fault_n(w, fork_faults);
		settle_usr1();
	}
	w->detach_rc = trampgen_detach();
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Wait for the child at most 60 s (it has its own alarm as well). */
static int wait_child(pid_t pid, int *status)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };

	for (int i = 0; i < 6000; i++) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
		nanosleep(&tick, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, status, 0);
	return -1;
}

static int scenario_fork(void)
{
	struct worker w[FORK_THREADS];
	pthread_t t[FORK_THREADS], toggler, setter;
	long forks = scaled(40, 4), passed = 0, hung = 0;
	int started = 0;

#if defined(__SANITIZE_THREAD__)
	/* Measured: with two threads running at the fork, each child missed the
	   first SIGUSR1 delivered to it; forking single-threaded, none did. */
	printf("skipped: ThreadSanitizer does not support the child of a multi-threaded fork that goes on "
	       "without exec (it turns its own interceptors off there and loses a signal delivery)\n");
	return SKIPPED;
#endif
	fork_faults = scaled(50000, 500);
	child_faults = scaled(2000, 100);
	printf("  %ld forks from an attached thread while %d attached threads fault %ld times each and another "
	       "installs and uninstalls trampgen, and a fourth sets the handler; each child installs, sets the handler, faults %ld times, detaches, attaches, "
	       "faults %ld times, uninstalls\n", forks, FORK_THREADS, fork_faults, child_faults, child_faults);
	install_usr1();
	install_next_handler();   /* the parent's faults while trampgen is not installed */
	if (trampgen_install() != 0) {
		printf("  FAIL trampgen_install: %s\n", strerror(errno));
		return 1;
	}
	trampgen_set_handler(FAULT_KIND, h_storm, NULL);
	if (trampgen_attach(NULL, 0) != 0) {
		printf("  FAIL trampgen_attach: %s\n", strerror(errno));
		return 1;
	}
	for (; started < FORK_THREADS; started++) {
		init_worker(&w[started], started);
		if (start_thread(&t[started], fork_worker, &w[started]) != 0)
			break;
	}
	if (started < FORK_THREADS || start_thread(&toggler, fork_toggler, NULL) != 0 ||
	    start_thread(&setter, fork_setter, NULL) != 0) {
		printf("skipped: cannot create threads here\n");
		_exit(SKIPPED);
	}
	for (long k = 0; k < forks; k++) {
		int status = 0;
		pid_t pid;

		fflush(stdout);
		pid = fork();
		if (pid < 0) {
			printf("  FAIL fork: %s\n", strerror(errno));
			failures++;
			break;
		}
		if (pid == 0)
			_exit(fork_child());
		if (wait_child(pid, &status) != 0) {
			hung++;
			break;
		}
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			passed++;
			continue;
		}
		if (WIFSIGNALED(status))
			printf("  child %ld killed by signal %d (%s)\n", k, WTERMSIG(status), strsignal(WTERMSIG(status)));
		else
			printf("  child %ld exited with status %d\n", k, WEXITSTATUS(status));
		break;    /* one is enough, and a hang costs its alarm */
	}
	for (int i = 0; i < FORK_THREADS; i++)
		pthread_join(t[i], NULL);
	__atomic_store_n(&fork_stop, 1, __ATOMIC_RELEASE);
	pthread_join(toggler, NULL);
	pthread_join(setter, NULL);
	printf("  %ld install/uninstall toggles\n", fork_toggles);
	CHECK(hung == 0, "%ld children hung", hung);
	CHECK(passed == forks, "%ld of %ld children passed", passed, forks);
	/* Each fault was claimed by trampgen, or, while it was not installed,
	   reached the handler from before it; once, and recovered. */
	for (int i = 0; i < FORK_THREADS; i++) {
		CHECK(w[i].attach_rc == 0 && w[i].not_faulted == 0 && w[i].claimed + w[i].next_calls == fork_faults &&
		      w[i].recovered == fork_faults && w[i].at_system_stack >= w[i].claimed,
		      "thread %d: attach %d, %ld claimed, %ld passed on, %ld recovered, %ld SIGUSR1 on the system stack "
		      "of %ld faults", i, w[i].attach_rc, w[i].claimed, w[i].next_calls, w[i].recovered,
		      w[i].at_system_stack, fork_faults);
		CHECK(w[i].detach_rc == 0, "thread %d: detach returned %d", i, w[i].detach_rc);
	}
	CHECK(trampgen_detach() == 0, "detach");
	return 0;
}

/* ---- threads that exit attached ------------------------------------------------ */

#define EXIT_BATCH 4
#define MAP_SLACK 16

static volatile int exit_detaches;

static void *exit_worker(void *arg)
{
	struct worker *w = arg;

	me = w;
	w->attach_rc = trampgen_attach(NULL, 0);
	w->attach_errno = errno;
	if (w->attach_rc == 0)
		fault_once(w);
	if (exit_detaches)
		w->detach_rc = trampgen_detach();
	return NULL;    /* attached, unless exit_detaches: thread exit must detach */
}

/* `total` threads, EXIT_BATCH at a time; returns how many did all they should. */
static long run_exit_threads(long total, int detach, long *maps_after)
{
	long good = 0;

	exit_detaches = detach;
	for (long done = 0; done < total; done += EXIT_BATCH) {
		struct worker w[EXIT_BATCH];
		pthread_t t[EXIT_BATCH];
		int n = 0;

		for (; n < EXIT_BATCH && done + n < total; n++) {
			init_worker(&w[n], n);
			if (start_thread(&t[n], exit_worker, &w[n]) != 0)
				break;
		}
		for (int i = 0; i < n; i++) {
			pthread_join(t[i], NULL);
			good += w[i].attach_rc == 0 && w[i].claimed == 1 && w[i].recovered == 1 &&
			        w[i].not_faulted == 0 && w[i].detach_rc == 0;
		}
		if (n < EXIT_BATCH && done + n < total)
			return -1;
	}
	*maps_after = map_lines();
	return good;
}

static int scenario_thread_exit(void)
{
	long total = scaled(2000, 100), warm = 0, before, after_exit = 0, after_detach = 0, good;

	if (trampgen_install() != 0) {
		printf("  FAIL trampgen_install: %s\n", strerror(errno));
		return 1;
	}
	trampgen_set_handler(FAULT_KIND, h_recover, NULL);
	/* Warm up: thread stacks cached, every library's per-thread state made
	   (ThreadSanitizer's grows by some 30 mappings over its first few
	   hundred threads, detached or not). */
	if (run_exit_threads(400, 1, &warm) < 0 || run_exit_threads(2 * EXIT_BATCH, 0, &warm) < 0) {
		printf("skipped: cannot create threads here\n");
		return SKIPPED;
	}
	before = map_lines();
	printf("  %ld threads, %d at a time, each attach(NULL, 0), fault once, exit without detach\n", total, EXIT_BATCH);
	good = run_exit_threads(total, 0, &after_exit);
	printf("  /proc/self/maps: %ld lines before, %ld after\n", before, after_exit);
	CHECK(good == total, "%ld of %ld threads attached, faulted once and recovered", good, total);
	CHECK(after_exit <= before + MAP_SLACK, "%ld more mappings after %ld threads exited attached",
	      after_exit - before, total);
	printf("  %ld threads, %d at a time, each attach(NULL, 0), fault once, detach, exit\n", total, EXIT_BATCH);
	good = run_exit_threads(total, 1, &after_detach);
	printf("  /proc/self/maps: %ld lines before, %ld after\n", after_exit, after_detach);
	CHECK(good == total, "%ld of %ld threads attached, faulted once, recovered and detached", good, total);
	CHECK(after_detach <= after_exit + MAP_SLACK, "%ld more mappings after %ld threads detached and exited",
	      after_detach - after_exit, total);
	return 0;
}

/* ---- siglongjmp out of a handler ------------------------------------------------- */

static sigjmp_buf out_of_handler;
static volatile int jump_out;

static trampgen_verdict h_maybe_jump_out(trampgen_fault *f, void *user)
{
	struct worker *w = me;

	(void)user;
	if (w == NULL)
		return TRAMPGEN_CONTINUE_SEARCH;
	if (jump_out) {
		w->claimed++;
		siglongjmp(out_of_handler, 1);
	}
	return claim(f, w);
}

/* The handler leaves by siglongjmp: 1. The fault was passed on instead and
   recovered: 0. No fault: -1. */
NOINLINE static int fault_and_jump_out(struct worker *w)
{
	w->faults++;
	if (sigsetjmp(out_of_handler, 1) != 0)
		return 1;
	if (SET_JUMP(jump) != 0)
		return 0;
	sink = read_at(w->fault_addr);
	w->not_faulted++;
	return -1;
}

static int scenario_siglongjmp_out(void)
{
	static struct worker w;
	long rounds = scaled(2000, 20), per_round = scaled(100, 10), left = 0;
	sigset_t before, after;

	printf("  %ld rounds: a handler siglongjmps out, then %ld faults must all reach it\n", rounds, per_round);
	install_next_handler();
	if (trampgen_install() != 0) {
		printf("  FAIL trampgen_install: %s\n", strerror(errno));
		return 1;
	}
	init_worker(&w, 0);
	me = &w;
	if (trampgen_attach(NULL, 0) != 0) {
		printf("  FAIL trampgen_attach: %s\n", strerror(errno));
		return 1;
	}
	trampgen_set_handler(FAULT_KIND, h_maybe_jump_out, NULL);
	pthread_sigmask(SIG_SETMASK, NULL, &before);
	for (long r = 0; r < rounds; r++) {
		jump_out = 1;
		left += fault_and_jump_out(&w) == 1;
		jump_out = 0;
		fault_n(&w, per_round);
	}
	pthread_sigmask(SIG_SETMASK, NULL, &after);
	printf("  %ld left by siglongjmp; %ld faults claimed, %ld passed on, %ld recovered\n",
	       left, w.claimed, w.next_calls, w.recovered);
	CHECK(left == rounds, "%ld of %ld rounds left the handler by siglongjmp", left, rounds);
	CHECK(w.next_calls == 0, "%ld faults after a siglongjmp were passed on instead of claimed", w.next_calls);
	CHECK(w.claimed == rounds + rounds * per_round, "%ld of %ld faults claimed", w.claimed, rounds + rounds * per_round);
	CHECK(w.recovered == rounds * per_round && w.not_faulted == 0, "%ld of %ld recovered, %ld did not fault",
	      w.recovered, rounds * per_round, w.not_faulted);
	CHECK(w.faults == rounds + rounds * per_round, "%ld faults provoked", w.faults);
	for (int s = 1; s < 32; s++)
		CHECK(sigismember(&before, s) == sigismember(&after, s), "signal %d %s blocked", s,
		      sigismember(&after, s) ? "is now" : "is no longer");
	CHECK(trampgen_attached() && trampgen_detach() == 0, "still attached, and detach works");
	return 0;
}

/* ---- detach (and attach) inside a handler ---------------------------------------- */

static struct {
	long calls, detach_busy, attach_busy, still_attached, same_top, on_altstack;
	uintptr_t top, alt_sp;
} in_handler;

static trampgen_verdict h_detach_inside(trampgen_fault *f, void *user)
{
	struct worker *w = me;
	stack_t ss;
	int rc, e;

	(void)user;
	if (w == NULL)
		return TRAMPGEN_CONTINUE_SEARCH;
	in_handler.calls++;
	errno = 0;
	rc = trampgen_detach();
	e = errno;
	in_handler.detach_busy += rc == -1 && e == EBUSY;
	in_handler.still_attached += trampgen_attached() != 0;
	errno = 0;
	rc = trampgen_attach(NULL, 0);
	e = errno;
	in_handler.attach_busy += rc == -1 && e == EBUSY;
	in_handler.same_top += trampgen_system_stack_top() == in_handler.top;
	in_handler.on_altstack += sigaltstack(NULL, &ss) == 0 && (ss.ss_flags & SS_ONSTACK) &&
	                          (uintptr_t)ss.ss_sp == in_handler.alt_sp;
	return claim(f, w);
}

static int scenario_detach_in_handler(void)
{
	static struct worker w;
	long n = scaled(20000, 50);
	stack_t own, ss, after;
	uintptr_t alt_lo, alt_hi;
	int had_own;

	printf("  %ld faults; each handler calls trampgen_detach and trampgen_attach\n", n);
	install_next_handler();
	if (trampgen_install() != 0) {
		printf("  FAIL trampgen_install: %s\n", strerror(errno));
		return 1;
	}
	init_worker(&w, 0);
	me = &w;
	/* A sanitizer's runtime may have given this thread an alternate stack:
	   then attach keeps it and detach leaves it. */
	had_own = sigaltstack(NULL, &own) == 0 && !(own.ss_flags & SS_DISABLE);
	if (had_own)
		printf("  note: the thread has an alternate stack before attach\n");
	if (trampgen_attach(NULL, 0) != 0) {
		printf("  FAIL trampgen_attach: %s\n", strerror(errno));
		return 1;
	}
	CHECK(sigaltstack(NULL, &ss) == 0 && !(ss.ss_flags & SS_DISABLE), "attach gave no alternate stack");
	if (had_own)
		CHECK(ss.ss_sp == own.ss_sp && ss.ss_size == own.ss_size, "attach replaced the thread's own alternate stack");
	alt_lo = (uintptr_t)ss.ss_sp;
	alt_hi = alt_lo + ss.ss_size;
	in_handler.top = trampgen_system_stack_top();
	in_handler.alt_sp = alt_lo;
	trampgen_set_handler(FAULT_KIND, h_detach_inside, NULL);
	fault_n(&w, n);
	printf("  %ld handler calls: detach EBUSY %ld, attach EBUSY %ld, still attached %ld, same system stack %ld, "
	       "on the alternate stack %ld\n", in_handler.calls, in_handler.detach_busy, in_handler.attach_busy,
	       in_handler.still_attached, in_handler.same_top, in_handler.on_altstack);
	CHECK(in_handler.calls == n, "%ld handler calls for %ld faults", in_handler.calls, n);
	CHECK(in_handler.detach_busy == n, "detach inside a handler failed with EBUSY %ld of %ld times", in_handler.detach_busy, n);
	CHECK(in_handler.still_attached == n, "still attached after it %ld of %ld times", in_handler.still_attached, n);
	CHECK(in_handler.attach_busy == n, "attach inside a handler failed with EBUSY %ld of %ld times", in_handler.attach_busy, n);
	CHECK(in_handler.same_top == n, "system stack unchanged %ld of %ld times", in_handler.same_top, n);
	CHECK(in_handler.on_altstack == n, "handler on the same alternate stack %ld of %ld times", in_handler.on_altstack, n);
	CHECK(w.recovered == n && w.next_calls == 0 && w.not_faulted == 0, "%ld recovered, %ld passed on, %ld did not fault",
	      w.recovered, w.next_calls, w.not_faulted);
	/* Afterwards: still attached, with the same alternate stack, mapped. */
	CHECK(trampgen_attached(), "not attached after the faults");
	CHECK(sigaltstack(NULL, &after) == 0 && !(after.ss_flags & SS_DISABLE) && after.ss_sp == ss.ss_sp &&
	      after.ss_size == ss.ss_size, "the alternate stack changed");
	CHECK(mapped(alt_lo, alt_hi) == 1, "the alternate stack [%#lx, %#lx) is no longer mapped",
	      (unsigned long)alt_lo, (unsigned long)alt_hi);
	CHECK(mapped(in_handler.top - TRAMPGEN_SYSTEM_STACK_DEFAULT, in_handler.top) == 1,
	      "the system stack below %#lx is no longer mapped", (unsigned long)in_handler.top);
	/* Outside a handler, detach works and frees what attach mapped. */
	CHECK(trampgen_detach() == 0, "detach outside a handler: %s", strerror(errno));
	CHECK(!trampgen_attached(), "attached after detach");
	if (had_own) {
		CHECK(sigaltstack(NULL, &after) == 0 && !(after.ss_flags & SS_DISABLE) && after.ss_sp == own.ss_sp,
		      "detach took away the thread's own alternate stack");
	} else {
		CHECK(sigaltstack(NULL, &after) == 0 && (after.ss_flags & SS_DISABLE), "detach left the alternate stack");
		CHECK(mapped(alt_lo, alt_hi) == 0, "the alternate stack is still mapped after detach");
	}
	CHECK(mapped(in_handler.top - TRAMPGEN_SYSTEM_STACK_DEFAULT, in_handler.top) == 0,
	      "the system stack trampgen mapped is still mapped after detach");
	/* ... and the next fault goes to the handler before trampgen. */
	fault_once(&w);
	CHECK(w.next_calls == 1 && in_handler.calls == n, "after detach: %ld passed on, %ld trampgen handler calls",
	      w.next_calls, in_handler.calls);
	return 0;
}

/* ---- driver ------------------------------------------------------------------- */

static const struct scenario scenarios[] = {
	{ "storm_default", scenario_storm_default },
	{ "storm_private", scenario_storm_private },
	{ "handler_updates", scenario_handler_updates },
	{ "install_race", scenario_install_race },
	{ "fork", scenario_fork },
	{ "thread_exit", scenario_thread_exit },
	{ "siglongjmp_out", scenario_siglongjmp_out },
	{ "detach_in_handler", scenario_detach_in_handler },
};

int main(int argc, char **argv)
{
	const struct scenario *s = NULL;
	const char *env = getenv("TRAMPGEN_STRESS_SCALE");
	int rc;

	setvbuf(stdout, NULL, _IONBF, 0);
	s = scenario_named(scenarios, sizeof scenarios / sizeof scenarios[0], argc, argv, &rc);
	if (s == NULL)
		return rc;
	if (env != NULL && *env != '\0') {
		char *end;

		scale = strtol(env, &end, 10);
		if (*end != '\0' || scale < 1) {
			printf("TRAMPGEN_STRESS_SCALE=%s: not a positive integer\n", env);
			return 2;
		}
	}
	printf("%s on %s (counts / %ld)\n", s->name, TRAMPGEN_TARGET, scale);
	rc = s->run();
	trampgen_uninstall();
	return scenario_status(s->name, rc);
}
