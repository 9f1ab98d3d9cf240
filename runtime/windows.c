/*
 * Windows backend: vectored exception and continue handlers.
 *
 * trampgen_windows_dispatch is what the generated sigtramp calls. It reads
 * EXCEPTION_POINTERS and EXCEPTION_RECORD through a mirror of their layout
 * (checked against <windows.h> when built for Windows), so the same file
 * also runs in the emulated-OS harness, a Linux program that plays the part
 * of Windows and supplies the trampgen_os_* functions itself.
 */
#include "internal.h"

#include <errno.h>
#include <string.h>
#if !defined(_WIN32)
#include <unistd.h>
#endif

/* EXCEPTION_RECORD and EXCEPTION_POINTERS, as winnt.h lays them out for
   every Windows ABI: natural alignment, pointer-sized pointers. */
struct win_exception_record {
	uint32_t code;
	uint32_t flags;
	struct win_exception_record *next;
	void *address;
	uint32_t nparams;
	uintptr_t info[15];
};

struct win_exception_pointers {
	struct win_exception_record *record;
	void *context;
};

/* Exception codes (ntstatus.h) and EXCEPTION_CONTINUE_* (excpt.h). */
enum {
	WIN_ACCESS_VIOLATION = 0xC0000005u,
	WIN_IN_PAGE_ERROR = 0xC0000006u,
	WIN_ILLEGAL_INSTRUCTION = 0xC000001Du,
	WIN_INT_DIVIDE_BY_ZERO = 0xC0000094u,
	WIN_STACK_OVERFLOW = 0xC00000FDu,
	WIN_BREAKPOINT = 0x80000003u,
	WIN_CONTINUE_SEARCH = 0,
	WIN_CONTINUE_EXECUTION = -1,
};

#ifdef _WIN32
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
_Static_assert(sizeof(struct win_exception_record) == sizeof(EXCEPTION_RECORD), "EXCEPTION_RECORD size");
_Static_assert(offsetof(struct win_exception_record, address) == offsetof(EXCEPTION_RECORD, ExceptionAddress), "ExceptionAddress");
_Static_assert(offsetof(struct win_exception_record, info) == offsetof(EXCEPTION_RECORD, ExceptionInformation), "ExceptionInformation");
_Static_assert(offsetof(struct win_exception_pointers, context) == offsetof(EXCEPTION_POINTERS, ContextRecord), "ContextRecord");
_Static_assert(WIN_ACCESS_VIOLATION == EXCEPTION_ACCESS_VIOLATION && WIN_BREAKPOINT == EXCEPTION_BREAKPOINT, "codes");
#endif

static trampgen_fault_class classify(uint32_t code)
{
	switch (code) {
	case WIN_ACCESS_VIOLATION:
	case WIN_IN_PAGE_ERROR:
		return TRAMPGEN_FAULT_ACCESS;
	case WIN_INT_DIVIDE_BY_ZERO:
		return TRAMPGEN_FAULT_DIVIDE;
	case WIN_BREAKPOINT:
		return TRAMPGEN_FAULT_BREAKPOINT;
	case WIN_ILLEGAL_INSTRUCTION:
		return TRAMPGEN_FAULT_ILLEGAL;
	case WIN_STACK_OVERFLOW:
		return TRAMPGEN_FAULT_STACK_OVERFLOW;
	default:
		return TRAMPGEN_FAULT_OTHER;
	}
}

static void nested_fault(const trampgen_fault *f);

/* One exception, one decision: what the entry trampolines and
   trampgen_try_handle_exception share. Fault path. */
static trampgen_verdict handle(void *exception_pointers, intptr_t kind)
{
	struct win_exception_pointers *ep = exception_pointers;
	struct win_exception_record *rec = ep->record;
	trampgen_verdict v;
	trampgen_fault f;

	memset(&f, 0, sizeof f);
	f.kind = (int)kind;
	f.code = rec->code;
	f.fault_class = classify(rec->code);
	f.pc = trampgen_context_pc(ep->context);
	f.context = ep->context;
	f.os_info = rec;
	if ((rec->code == WIN_ACCESS_VIOLATION || rec->code == WIN_IN_PAGE_ERROR) && rec->nparams >= 2) {
		f.detail = (int)rec->info[0];   /* 0 read, 1 write, 8 execute (DEP) */
		f.address = rec->info[1];
	}
#ifdef _WIN32
	/* The faulting code may be about to read its last error; a handler
	   that calls the Windows API must not change it (as errno, which
	   trampgen_dispatch keeps). */
	{
		DWORD last_error = GetLastError();

		v = trampgen_dispatch(&f);
		SetLastError(last_error);
	}
#else
	v = trampgen_dispatch(&f);
#endif
	if (v == TRAMPGEN_NESTED_FAULT) {
		nested_fault(&f);                 /* under _WIN32, never returns */
		v = TRAMPGEN_CONTINUE_SEARCH;
	}
	return v;
}

int32_t TRAMPGEN_ABI_CC trampgen_windows_dispatch(void *exception_pointers, intptr_t kind)
{
	return handle(exception_pointers, kind) == TRAMPGEN_CONTINUE_SEARCH ? WIN_CONTINUE_SEARCH
	                                                                    : WIN_CONTINUE_EXECUTION;
}

#ifdef _WIN32

/*
 * A fault inside a handler of this thread (TRAMPGEN_NESTED_FAULT): one
 * line on stderr, then the process ends with the exception's code, as an
 * unhandled exception ends it (what `wine` and Windows with
 * SEM_NOGPFAULTERRORBOX report as the exit code).
 *
 * Why TerminateProcess rather than continuing the search: the fault came
 * from inside trampgen's handler, which sits on top of an exception
 * dispatch that is still in progress. Continuing would hand a half-run
 * handler to every vectored handler after trampgen (any of which may
 * "recover" it into the middle of trampgen's frames) and then to the
 * frame-based search, which on table-unwound ISAs must unwind through the
 * generated trampolines and the interrupted dispatch; the outcome is the
 * nested-exception machinery of ntdll, not the original program's end.
 * Ending here is bounded and deterministic: WriteFile and TerminateProcess
 * are system calls, no allocation, no locks. What it does not do: run an
 * unhandled-exception filter or notify a debugger (a debugger still sees
 * the first-chance exception).
 */
static void nested_fault(const trampgen_fault *f)
{
	char line[256];
	size_t n = trampgen_nested_message(line, sizeof line, f);
	HANDLE err = GetStdHandle(STD_ERROR_HANDLE);
	DWORD written;

	if (err != NULL && err != INVALID_HANDLE_VALUE && n > 0)
		WriteFile(err, line, (DWORD)n, &written, NULL);
	TerminateProcess(GetCurrentProcess(), f->code);
	for (;;)
		;   /* TerminateProcess on the own process does not return */
}

int trampgen_try_handle_exception(void *exception_pointers, int kind)
{
	trampgen_verdict v;

	if (exception_pointers == NULL)
		return 0;
	v = handle(exception_pointers, kind);
	return v == TRAMPGEN_CONTINUE_EXECUTION || v == TRAMPGEN_CONTINUE_EXACT;
}

/* Vectored handlers are a list nobody can take trampgen's entry out of. */
int trampgen_check_handlers(int *lost, int max)
{
	(void)lost;
	(void)max;
	return 0;
}

/* ---- per-thread state ------------------------------------------------------
 *
 * One TLS slot (allocated at the first attach) holds the thread's state.
 * A thread that exits without detaching is cleaned up by a PE TLS callback
 * (DLL_THREAD_DETACH), which the loader calls for the executable and for
 * every DLL the library is linked into, on every thread exit: no DllMain
 * needed, so it works from a static library. Chosen over FlsAlloc with a
 * callback because trampgen attaches threads: FLS is per fiber, so a
 * thread that switches fibers would find itself unattached on the other
 * fiber and the state would be freed at DeleteFiber while the thread still
 * runs with the stack guarantee and system stack it set up. TLS slots are
 * per thread, and plentiful (1088 against FLS's 4080/128 per process).
 * The callback pointer lives in this object, which every program using
 * trampgen links (dispatch.c calls trampgen_os_thread): the linker keeps it,
 * and trampgen_os_thread refers to it so section GC keeps it too.
 */
static volatile LONG tls_index = (LONG)TLS_OUT_OF_INDEXES;

static void NTAPI on_thread_event(PVOID module, DWORD reason, PVOID reserved);
/* mingw-w64's CRT (tlssup.c) brackets .CRT$XL? with __xl_a/__xl_z and
   points the TLS directory at them; clang's mingw targets use the same CRT. */
__attribute__((used, section(".CRT$XLB"))) const PIMAGE_TLS_CALLBACK trampgen_tls_callback = on_thread_event;

struct trampgen_thread *trampgen_os_thread(int create)
{
	DWORD index = (DWORD)tls_index;
	struct trampgen_thread *th;
	DWORD last_error;

	if (index == TLS_OUT_OF_INDEXES) {
		if (!create)
			return NULL;
		index = TlsAlloc();
		if (index == TLS_OUT_OF_INDEXES) {
			errno = ENOMEM;
			return NULL;
		}
		if (InterlockedCompareExchange(&tls_index, (LONG)index, (LONG)TLS_OUT_OF_INDEXES)
		    != (LONG)TLS_OUT_OF_INDEXES) {
			TlsFree(index);                 /* another thread won the race */
			index = (DWORD)tls_index;
		}
	}
	/* TlsGetValue clears the thread's last error; the faulting code may
	   be about to read it. */
	last_error = GetLastError();
	th = TlsGetValue(index);
	SetLastError(last_error);
	if (th != NULL || !create)
		return th;
	/* Keep the exit callback (and so its section) referenced. */
	(void)*(const PIMAGE_TLS_CALLBACK volatile *)&trampgen_tls_callback;
	th = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, sizeof *th);
	if (th == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	if (!TlsSetValue(index, th)) {
		HeapFree(GetProcessHeap(), 0, th);
		errno = ENOMEM;
		return NULL;
	}
	return th;
}

void trampgen_os_thread_release(struct trampgen_thread *th)
{
	if (th == NULL)
		return;
	TlsSetValue((DWORD)tls_index, NULL);
	HeapFree(GetProcessHeap(), 0, th);
}

/* The thread exits still attached: what trampgen_detach would free. */
static void NTAPI on_thread_event(PVOID module, DWORD reason, PVOID reserved)
{
	struct trampgen_thread *th;

	(void)module;
	(void)reserved;
	if (reason != DLL_THREAD_DETACH || (DWORD)tls_index == TLS_OUT_OF_INDEXES)
		return;
	th = TlsGetValue((DWORD)tls_index);
	if (th == NULL)
		return;
	trampgen_os_detach(th);
	if (th->stack_map != NULL)
		trampgen_os_unmap_stack(th->stack_map, th->stack_map_size);
	trampgen_os_thread_release(th);
}

/* ---- memory ------------------------------------------------------------------ */

size_t trampgen_os_page_size(void)
{
	static volatile size_t page;

	if (page == 0) {
		SYSTEM_INFO si;

		GetSystemInfo(&si);
		page = si.dwPageSize;
	}
	return page;
}

/*
 * The guard page is reserved and never committed: any access faults
 * (EXCEPTION_ACCESS_VIOLATION), every time. PAGE_GUARD would fire once and
 * then let the next overrun through into whatever lies below, and
 * PAGE_NOACCESS on committed memory can be undone by a stray VirtualProtect;
 * a reserved page costs no commit charge either.
 */
void *trampgen_os_map_stack(size_t usable, size_t *map_size)
{
	size_t page = trampgen_os_page_size();
	size_t total;
	char *base;

	if (usable == 0 || usable > (size_t)-1 - 2 * page) {
		errno = EINVAL;
		return NULL;
	}
	usable = (usable + page - 1) / page * page;   /* the caller rounds; be safe if not */
	total = usable + page;
	base = VirtualAlloc(NULL, total, MEM_RESERVE, PAGE_NOACCESS);
	if (base == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	if (VirtualAlloc(base + page, usable, MEM_COMMIT, PAGE_READWRITE) == NULL) {
		VirtualFree(base, 0, MEM_RELEASE);
		errno = ENOMEM;
		return NULL;
	}
	*map_size = total;
	return base;
}

void trampgen_os_unmap_stack(void *map, size_t map_size)
{
	(void)map_size;   /* MEM_RELEASE frees the whole reservation */
	if (map != NULL)
		VirtualFree(map, 0, MEM_RELEASE);
}

/*
 * The stack one exception dispatch needs, on top of the interrupted SP:
 * - the CONTEXT and EXCEPTION_RECORD the kernel pushes for
 *   KiUserExceptionDispatcher (64-bit: 1232 + 152 bytes; 32-bit: 716 + 80);
 * - the extended state that follows the CONTEXT when the CPU has AVX
 *   (CONTEXT_EX and an XSAVE area: 2,696 bytes with AVX-512), allowed for as
 *   one 4 KiB page;
 * - the frames of KiUserExceptionDispatcher, RtlDispatchException and
 *   RtlpCallVectoredHandlers up to the first vectored handler: 2 KiB.
 *   Measured under wine 8.0 (CONTEXT, record and frames, from the faulting
 *   SP to a vectored handler's first local): 2,145 bytes 64-bit, 1,417
 *   32-bit, so 2 KiB for the frames leaves room for Windows' own, larger ones.
 * 64-bit: 7,528 bytes; 32-bit: 6,940. trampgen's own frames (sigtramp, the
 * dispatcher) and the handler come on top.
 */
#define XSTATE_ALLOWANCE 4096u
#define DISPATCHER_FRAMES 2048u

size_t trampgen_os_min_frame(void)
{
	return sizeof(CONTEXT) + sizeof(EXCEPTION_RECORD) + XSTATE_ALLOWANCE + DISPATCHER_FRAMES;
}

/* ---- attach: the stack overflow guarantee --------------------------------------
 *
 * Windows raises EXCEPTION_STACK_OVERFLOW when a thread's stack guard
 * reaches the guaranteed area at the stack's low end, and then dispatches
 * it on the same stack, in that area: the vectored handler (trampgen's
 * dispatcher and the handler it calls) runs there. The default area is
 * one or two pages, less than a CONTEXT and the dispatcher frames leave
 * room for; attach asks for one exception dispatch (trampgen_os_min_frame)
 * plus OVERFLOW_HANDLER_STACK for sigtramp, trampgen_dispatch and the
 * handler, rounded up to pages: 24 KiB with 4 KiB pages.
 * The guarantee is per thread and can only grow: a re-attach asks again
 * (a no-op), detach leaves it.
 */
#define OVERFLOW_HANDLER_STACK (16u * 1024u)

static size_t stack_guarantee(void)
{
	size_t page = trampgen_os_page_size();

	return (trampgen_os_min_frame() + OVERFLOW_HANDLER_STACK + page - 1) / page * page;
}

/*
 * The guarantee takes effect as the guard page moves down the stack (the
 * overflow is raised when the guard would enter the guaranteed area). A
 * stack committed in full up front, as wine commits it, already has its
 * one guard page at the very bottom: the first overflow would be raised
 * there, with a page or less left. Where the thread's guard page lies
 * inside the guaranteed area, this puts a guard page just above it, where
 * a stack growing down would have had it; only into committed stack, never
 * at or above the caller's frames.
 */
static void guard_above_guarantee(size_t guarantee)
{
	size_t page = trampgen_os_page_size();
	ULONG_PTR low, high;
	MEMORY_BASIC_INFORMATION mbi;
	uintptr_t target, a, sp = (uintptr_t)&mbi;
	int guard_inside = 0;

	GetCurrentThreadStackLimits(&low, &high);
	target = (uintptr_t)low + page + guarantee;
	if (target + 4 * page > sp || target >= (uintptr_t)high)
		return;
	if (VirtualQuery((void *)target, &mbi, sizeof mbi) != sizeof mbi || mbi.State != MEM_COMMIT ||
	    (mbi.Protect & PAGE_GUARD))
		return;
	for (a = (uintptr_t)low; a < target; a = (uintptr_t)mbi.BaseAddress + mbi.RegionSize) {
		if (VirtualQuery((void *)a, &mbi, sizeof mbi) != sizeof mbi)
			return;
		if (mbi.State == MEM_COMMIT && (mbi.Protect & PAGE_GUARD))
			guard_inside = 1;
	}
	if (guard_inside) {
		DWORD old;

		VirtualProtect((void *)target, page, PAGE_READWRITE | PAGE_GUARD, &old);
	}
}

/* th->os: the stack guarantee this thread has (0 when the system refused
   it: then an overflow gets only the system's default area). */
int trampgen_os_attach(struct trampgen_thread *th)
{
	size_t guarantee = stack_guarantee();
	ULONG bytes = (ULONG)guarantee;

	if (SetThreadStackGuarantee(&bytes)) {
		/* bytes: the previous guarantee; the larger one holds. */
		if ((size_t)bytes > guarantee)
			guarantee = bytes;
		th->os = (void *)(uintptr_t)guarantee;
		guard_above_guarantee(guarantee);
	} else {
		th->os = NULL;   /* recorded, not fatal: attach still succeeds */
	}
	return 0;
}

void trampgen_os_detach(struct trampgen_thread *th)
{
	th->os = NULL;   /* the thread keeps its guarantee: Windows cannot lower it */
}

/* ---- install ------------------------------------------------------------------- */

/* Install and uninstall serialize on one lock, so two threads installing
   at once register one set of handlers, and an uninstall never removes a
   set another thread is still adding. The fault path takes no lock: the
   entries are static code, still valid for a dispatch already inside one
   when it is removed. */
static SRWLOCK install_lock = SRWLOCK_INIT;
static PVOID veh, first_vch, last_vch;

static void remove_handlers(void)
{
	if (veh != NULL)
		RemoveVectoredExceptionHandler(veh);
	if (first_vch != NULL)
		RemoveVectoredContinueHandler(first_vch);
	if (last_vch != NULL)
		RemoveVectoredContinueHandler(last_vch);
	veh = first_vch = last_vch = NULL;
}

int trampgen_install(void)
{
	int rc = 0;

	AcquireSRWLockExclusive(&install_lock);
	if (veh == NULL) {
		/* First in line for exceptions, as Go installs its handlers; the
		   continue handlers run after a handler returned
		   EXCEPTION_CONTINUE_EXECUTION, first and last in that list. */
		veh = AddVectoredExceptionHandler(1, (PVECTORED_EXCEPTION_HANDLER)(void *)trampgen_exceptiontramp);
		first_vch = AddVectoredContinueHandler(1, (PVECTORED_EXCEPTION_HANDLER)(void *)trampgen_firstcontinuetramp);
		last_vch = AddVectoredContinueHandler(0, (PVECTORED_EXCEPTION_HANDLER)(void *)trampgen_lastcontinuetramp);
		if (veh == NULL || first_vch == NULL || last_vch == NULL) {
			remove_handlers();
			errno = ENOMEM;
			rc = -1;
		}
	}
	ReleaseSRWLockExclusive(&install_lock);
	return rc;
}

void trampgen_uninstall(void)
{
	AcquireSRWLockExclusive(&install_lock);
	remove_handlers();
	ReleaseSRWLockExclusive(&install_lock);
}

#else /* !_WIN32: the emulated-OS harness supplies the rest */

/* The harness plays Windows on Linux: the line goes to fd 2, and the
   exception goes on unclaimed, which the harness ends as unhandled. */
static void nested_fault(const trampgen_fault *f)
{
	char line[256];
	size_t n = trampgen_nested_message(line, sizeof line, f);

	if (n > 0 && write(2, line, n) < 0) {
		/* nothing more to do on the fault path */
	}
}

#endif /* _WIN32 */
