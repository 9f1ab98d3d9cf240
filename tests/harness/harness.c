/*
 * The emulated-OS harness: a Linux program that plays Windows for the
 * generated Windows trampolines, so that the very instructions Windows
 * would run execute on their ISA (under qemu-user, or natively where the ISA is the host's).
 *
 * It supplies what runtime/windows.c supplies only under _WIN32: the
 * per-thread state and trampgen_install/uninstall. A fault signal plays
 * Windows' exception dispatcher: the ucontext becomes a CONTEXT and an
 * EXCEPTION_RECORD, trampgen's vectored exception handler is called as
 * Windows calls it, then the next vectored handler, then the vectored
 * continue handlers, and the CONTEXT is written back for the kernel to
 * resume. An exception nobody handles ends the process with status
 * HARNESS_UNHANDLED_STATUS (3) after one line on stderr.
 *
 * Windows runs vectored handlers on the faulting thread's own stack, so
 * the harness installs its signal handler without SA_ONSTACK and attach
 * sets up no alternate signal stack.
 */
#define _GNU_SOURCE
#include "harness.h"
#include "context.h"     /* generated: the CONTEXT mirror */
#include "emulation.h"   /* generated: what Linux reports differently */

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "internal.h"

/* Exception codes (ntstatus.h), as runtime/windows.c lists them, and the
   few more a Linux signal can tell apart. */
enum {
	WIN_ACCESS_VIOLATION = 0xC0000005u,
	WIN_ILLEGAL_INSTRUCTION = 0xC000001Du,
	WIN_FLT_DIVIDE_BY_ZERO = 0xC000008Eu,
	WIN_FLT_INEXACT_RESULT = 0xC000008Fu,
	WIN_FLT_INVALID_OPERATION = 0xC0000090u,
	WIN_FLT_OVERFLOW = 0xC0000091u,
	WIN_FLT_UNDERFLOW = 0xC0000093u,
	WIN_INT_DIVIDE_BY_ZERO = 0xC0000094u,
	WIN_INT_OVERFLOW = 0xC0000095u,
	WIN_BREAKPOINT = 0x80000003u,
	WIN_CONTINUE_SEARCH = 0,
	WIN_CONTINUE_EXECUTION = -1,
};

volatile uintptr_t harness_last_resume_sp;
volatile uintptr_t harness_last_resume_pc;
volatile unsigned long harness_exceptions;
volatile unsigned long harness_veh_calls;
volatile unsigned long harness_first_vch_calls;
volatile unsigned long harness_last_vch_calls;
volatile unsigned long harness_next_calls;

static harness_handler next_handler;

void harness_set_next_handler(harness_handler fn)
{
	__atomic_store_n(&next_handler, fn, __ATOMIC_RELEASE);
}

/* ---- per-thread state and memory, as runtime/posix.c does them ---- */

static __thread struct trampgen_thread thread_state __attribute__((tls_model("initial-exec")));
static __thread int thread_attached __attribute__((tls_model("initial-exec")));

/* Thread exit detaches (Windows: the backend's own thread-exit hook). */
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t exit_key;
static int key_error;

static void detach_at_exit(void *value)
{
	(void)value;
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

size_t trampgen_os_page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

void *trampgen_os_map_stack(size_t usable, size_t *map_size)
{
	size_t page = trampgen_os_page_size();
	void *map = mmap(NULL, page + usable, PROT_READ | PROT_WRITE,
	                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);

	if (map == MAP_FAILED)
		return NULL;
	if (mprotect(map, page, PROT_NONE) != 0) {
		munmap(map, page + usable);
		return NULL;
	}
	*map_size = page + usable;
	return map;
}

void trampgen_os_unmap_stack(void *map, size_t map_size)
{
	munmap(map, map_size);
}

/* One exception dispatch as the harness does it, on the stack the fault
   interrupted (a system stack, if a signal arrives during sigresume): the
   Linux signal frame, then on_fault's CONTEXT and EXCEPTION_RECORD copies
   and the call into the trampoline. */
size_t trampgen_os_min_frame(void)
{
	/* sysconf, not MINSIGSTKSZ: with _GNU_SOURCE glibc makes that the
	   suggested size, sysconf(_SC_SIGSTKSZ). */
	long v = sysconf(_SC_MINSIGSTKSZ);
	size_t frame = v > 0 ? (size_t)v : 2048;

	return frame + sizeof(harness_context) + sizeof(harness_exception_record) + 1024;
}

/* Windows needs nothing per thread beyond the TLS slot: the harness plays
   it, and delivers faults on the faulting stack (no alternate stack). */
int trampgen_os_attach(struct trampgen_thread *th)
{
	(void)th;
	return 0;
}

void trampgen_os_detach(struct trampgen_thread *th)
{
	(void)th;
}

/* Windows cannot displace vectored handlers (trampgen.h); runtime/windows.c
   may define this for every build, in which case that one is used. */
__attribute__((weak)) int trampgen_check_handlers(int *lost, int max)
{
	(void)lost;
	(void)max;
	return 0;
}

/* ---- calling the trampolines as Windows calls a vectored handler ---- */

/* Through the generated prototypes: TRAMPGEN_HANDLER_CC is the OS's
   convention for a vectored handler (abi.handler_c_attribute of the spec,
   which this Linux compiler must be told). */
#define CALL_HANDLER(tramp, ep) (trampgen_##tramp(ep))

/* ---- the exception dispatcher ---- */

static const int fault_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP };
#define NFAULT (int)(sizeof fault_signals / sizeof fault_signals[0])
static struct sigaction previous[NFAULT];
/* The harness's signal handlers are the OS: installed once, never removed.
   trampgen_install/uninstall add and remove trampgen's vectored handlers,
   as AddVectored*Handler and RemoveVectored*Handler would. */
static int os_booted;
static volatile int registered;

static char *put_hex(char *p, uintptr_t v, int min_digits)
{
	char tmp[2 * sizeof v];
	int n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v != 0 || n < min_digits);
	while (n > 0)
		*p++ = tmp[--n];
	return p;
}

static void unhandled(uint32_t code, uintptr_t pc)
{
	char line[96], *p = line;
	static const char a[] = "harness: unhandled exception 0x", b[] = " at pc 0x";

	memcpy(p, a, sizeof a - 1);
	p = put_hex(p + sizeof a - 1, code, 8);
	memcpy(p, b, sizeof b - 1);
	p = put_hex(p + sizeof b - 1, pc, 1);
	*p++ = '\n';
	(void)!write(2, line, (size_t)(p - line));
	_exit(HARNESS_UNHANDLED_STATUS);
}

/* The exception code Windows would report, fixing up the context where
   Linux and Windows disagree on the PC. */
static uint32_t exception_code(int signo, const siginfo_t *si, harness_context *ctx)
{
	switch (signo) {
	case SIGSEGV:
	case SIGBUS:
		return WIN_ACCESS_VIOLATION;
	case SIGFPE:
		switch (si->si_code) {
		case FPE_INTDIV: return WIN_INT_DIVIDE_BY_ZERO;
		case FPE_INTOVF: return WIN_INT_OVERFLOW;
		case FPE_FLTDIV: return WIN_FLT_DIVIDE_BY_ZERO;
		case FPE_FLTOVF: return WIN_FLT_OVERFLOW;
		case FPE_FLTUND: return WIN_FLT_UNDERFLOW;
		case FPE_FLTRES: return WIN_FLT_INEXACT_RESULT;
		default: return WIN_FLT_INVALID_OPERATION;
		}
	case SIGILL:
		/* Windows' breakpoint instruction, where Linux reports it as an
		   illegal instruction (a permanently undefined encoding, say). */
		if (HARNESS_BREAKPOINT_SIGNAL == SIGILL && HARNESS_BREAKPOINT_STATE(ctx)
		    && HARNESS_BREAKPOINT_AT(HARNESS_CONTEXT_PC(ctx)))
			return WIN_BREAKPOINT;
		return WIN_ILLEGAL_INSTRUCTION;
	case SIGTRAP:
		/* Where Linux reports the breakpoint (SI_KERNEL, harness.breakpoint) with the
		   PC past it, Windows reports the instruction itself, in
		   ExceptionAddress and in the CONTEXT. */
		if (HARNESS_BREAKPOINT_PC_PAST && si->si_code == SI_KERNEL
		    && HARNESS_BREAKPOINT_AT(HARNESS_CONTEXT_PC(ctx) - HARNESS_BREAKPOINT_LEN))
			HARNESS_CONTEXT_PC(ctx) -= HARNESS_BREAKPOINT_LEN;
		return WIN_BREAKPOINT;
	}
	(void)ctx;
	return WIN_ILLEGAL_INSTRUCTION;
}

static void on_fault(int signo, siginfo_t *si, void *uctx)
{
	ucontext_t *uc = uctx;
	int saved_errno = errno;
	harness_context ctx;
	harness_exception_record rec;
	harness_exception_pointers ep;
	harness_handler next;
	int32_t r;

	context_from_ucontext(&ctx, uc);
	memset(&rec, 0, sizeof rec);
	rec.ExceptionCode = exception_code(signo, si, &ctx);
	rec.ExceptionAddress = (void *)(uintptr_t)HARNESS_CONTEXT_PC(&ctx);
	if (rec.ExceptionCode == WIN_ACCESS_VIOLATION) {
		int kind = context_access_kind(uc);
		/* A jump to a bad address: Windows says execute (8). */
		if (kind < 0 && (uintptr_t)si->si_addr == (uintptr_t)HARNESS_CONTEXT_PC(&ctx))
			kind = 8;
		rec.NumberParameters = 2;
		rec.ExceptionInformation[0] = kind < 0 ? 0 : (uintptr_t)kind;
		rec.ExceptionInformation[1] = (uintptr_t)si->si_addr;
	}
	ep.ExceptionRecord = &rec;
	ep.ContextRecord = &ctx;
	harness_exceptions++;

	/* The vectored exception handlers: trampgen's was added first. */
	r = WIN_CONTINUE_SEARCH;
	if (registered) {
		harness_veh_calls++;
		r = CALL_HANDLER(exceptiontramp, &ep);
	}
	if (r != WIN_CONTINUE_EXECUTION) {
		next = __atomic_load_n(&next_handler, __ATOMIC_ACQUIRE);
		if (next != NULL) {
			harness_next_calls++;
			r = next(&ep);
		}
		if (r != WIN_CONTINUE_EXECUTION)
			unhandled(rec.ExceptionCode, (uintptr_t)HARNESS_CONTEXT_PC(&ctx));
	}

	/* Handled: the vectored continue handlers, in list order (trampgen's
	   first one at the head, its last one at the tail). As in ntdll, the
	   walk stops at the first that returns EXCEPTION_CONTINUE_EXECUTION;
	   whatever they return, the context is resumed. */
	if (registered) {
		harness_first_vch_calls++;
		if (CALL_HANDLER(firstcontinuetramp, &ep) != WIN_CONTINUE_EXECUTION) {
			harness_last_vch_calls++;
			(void)CALL_HANDLER(lastcontinuetramp, &ep);
		}
	}

	/* NtContinue: the kernel resumes exactly this context. */
	context_to_ucontext(&ctx, uc);
	harness_last_resume_sp = (uintptr_t)HARNESS_CONTEXT_SP(&ctx);
	harness_last_resume_pc = (uintptr_t)HARNESS_CONTEXT_PC(&ctx);
	errno = saved_errno;
}

int trampgen_install(void)
{
	struct sigaction sa;

	registered = 1;
	if (os_booted)
		return 0;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_fault;
	sigemptyset(&sa.sa_mask);
	/* No SA_ONSTACK: Windows dispatches on the faulting stack. SA_NODEFER:
	   an exception inside a handler is dispatched again, as on Windows. */
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	for (int i = 0; i < NFAULT; i++) {
		if (sigaction(fault_signals[i], &sa, &previous[i]) != 0) {
			while (--i >= 0)
				sigaction(fault_signals[i], &previous[i], NULL);
			registered = 0;
			return -1;
		}
	}
	os_booted = 1;
	return 0;
}

void trampgen_uninstall(void)
{
	registered = 0;
}
