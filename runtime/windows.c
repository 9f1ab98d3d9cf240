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

#include <string.h>

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

int32_t TRAMPGEN_ABI_CC trampgen_windows_dispatch(void *exception_pointers, intptr_t kind)
{
	struct win_exception_pointers *ep = exception_pointers;
	struct win_exception_record *rec = ep->record;
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
		trampgen_verdict v = trampgen_dispatch(&f);

		SetLastError(last_error);
		return v == TRAMPGEN_CONTINUE_SEARCH ? WIN_CONTINUE_SEARCH : WIN_CONTINUE_EXECUTION;
	}
#else
	return trampgen_dispatch(&f) == TRAMPGEN_CONTINUE_SEARCH ? WIN_CONTINUE_SEARCH
	                                                           : WIN_CONTINUE_EXECUTION;
#endif
}

#ifdef _WIN32

/* Per-thread state: one TLS slot, allocated at the first attach. */
static volatile LONG tls_index = (LONG)TLS_OUT_OF_INDEXES;

struct trampgen_thread *trampgen_os_thread(int create)
{
	DWORD index = (DWORD)tls_index;
	struct trampgen_thread *th;
	DWORD last_error;

	if (index == TLS_OUT_OF_INDEXES) {
		if (!create)
			return NULL;
		index = TlsAlloc();
		if (index == TLS_OUT_OF_INDEXES)
			return NULL;
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
	th = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, sizeof *th);
	if (th != NULL && !TlsSetValue(index, th)) {
		HeapFree(GetProcessHeap(), 0, th);
		th = NULL;
	}
	return th;
}

void trampgen_os_thread_release(struct trampgen_thread *th)
{
	TlsSetValue((DWORD)tls_index, NULL);
	HeapFree(GetProcessHeap(), 0, th);
}

int trampgen_os_thread_stack(uintptr_t *low, uintptr_t *high)
{
	ULONG_PTR lo, hi;

	GetCurrentThreadStackLimits(&lo, &hi);
	*low = lo;
	*high = hi;
	return 0;
}

int trampgen_os_attach(struct trampgen_thread *th)
{
	(void)th;
	return 0;
}

void trampgen_os_detach(struct trampgen_thread *th)
{
	(void)th;
}

static PVOID veh, first_vch, last_vch;

int trampgen_install(void)
{
	if (veh != NULL)
		return 0;
	/* First in line for exceptions, as Go installs its handlers; the
	   continue handlers run after a handler returned
	   EXCEPTION_CONTINUE_EXECUTION, first and last in that list. */
	veh = AddVectoredExceptionHandler(1, (PVECTORED_EXCEPTION_HANDLER)(void *)trampgen_exceptiontramp);
	first_vch = AddVectoredContinueHandler(1, (PVECTORED_EXCEPTION_HANDLER)(void *)trampgen_firstcontinuetramp);
	last_vch = AddVectoredContinueHandler(0, (PVECTORED_EXCEPTION_HANDLER)(void *)trampgen_lastcontinuetramp);
	if (veh == NULL || first_vch == NULL || last_vch == NULL) {
		trampgen_uninstall();
		return -1;
	}
	return 0;
}

void trampgen_uninstall(void)
{
	if (veh != NULL)
		RemoveVectoredExceptionHandler(veh);
	if (first_vch != NULL)
		RemoveVectoredContinueHandler(first_vch);
	if (last_vch != NULL)
		RemoveVectoredContinueHandler(last_vch);
	veh = first_vch = last_vch = NULL;
}

#endif /* _WIN32 */
