/* platform.h on Windows (run under wine). */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform.h"
#include "trampgen.h"

const char platform_name[] = "windows";

static platform_next_fn next_fn;

/* platform_watch_untouched: the OS's record and context, copied ahead of
   trampgen, and the verdict of the next handler's comparison. */
static volatile LONG watching;
static CONTEXT watched_context;
static EXCEPTION_RECORD watched_record;
static volatile int untouched = -1;

static LONG CALLBACK watch_handler(EXCEPTION_POINTERS *ep)
{
	if (watching) {
		memcpy(&watched_context, ep->ContextRecord, sizeof watched_context);
		memcpy(&watched_record, ep->ExceptionRecord, sizeof watched_record);
	}
	return EXCEPTION_CONTINUE_SEARCH;
}

void platform_watch_untouched(void)
{
	static PVOID registered;

	if (registered == NULL)
		registered = AddVectoredExceptionHandler(1, watch_handler);   /* ahead of trampgen's */
	untouched = -1;
	watching = 1;
}

int platform_untouched(void)
{
	return untouched;
}

static LONG CALLBACK next_handler(EXCEPTION_POINTERS *ep)
{
	if (watching)
		untouched = memcmp(&watched_context, ep->ContextRecord, sizeof watched_context) == 0 &&
		            memcmp(&watched_record, ep->ExceptionRecord, sizeof watched_record) == 0;
	return next_fn && next_fn(ep->ContextRecord) ? EXCEPTION_CONTINUE_EXECUTION
	                                             : EXCEPTION_CONTINUE_SEARCH;
}

void platform_set_next_handler(platform_next_fn fn)
{
	static PVOID registered;

	next_fn = fn;
	if (registered == NULL)
		registered = AddVectoredExceptionHandler(0, next_handler);   /* last in line */
}

void *platform_page_alloc(void)
{
	return VirtualAlloc(NULL, 4096, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
}

void platform_page_protect(void *page, int writable)
{
	DWORD old;
	VirtualProtect(page, 4096, writable ? PAGE_READWRITE : PAGE_READONLY, &old);
}

void platform_replay(const trampgen_fault *original, void *context)
{
	EXCEPTION_RECORD rec;
	EXCEPTION_POINTERS ep = { &rec, context };

	memset(&rec, 0, sizeof rec);
	rec.ExceptionCode = original->code;
	rec.ExceptionAddress = (void *)trampgen_context_pc(context);
	if (original->fault_class == TRAMPGEN_FAULT_ACCESS) {
		rec.NumberParameters = 2;
		rec.ExceptionInformation[0] = (ULONG_PTR)original->detail;
		rec.ExceptionInformation[1] = original->address;
	}
	trampgen_exceptiontramp(&ep);
}

int platform_add_last_exception_handler(void *entry)
{
	return AddVectoredExceptionHandler(0, (PVECTORED_EXCEPTION_HANDLER)entry) ? 0 : -1;
}

const char *platform_continue_handlers_missing(void)
{
	static char why[128];
	const char *(CDECL *wine_version)(void) = (const char *(CDECL *)(void))(void *)
		GetProcAddress(GetModuleHandleA("ntdll.dll"), "wine_get_version");

	if (wine_version == NULL)
		return NULL;   /* Windows itself calls them */
	snprintf(why, sizeof why, "wine %s never calls vectored continue handlers "
	         "(its dispatcher walks only the exception handlers)", wine_version());
	return why;
}

void platform_child_prepare(void)
{
	/* An unhandled exception ends the process with its code: no error box,
	   no debugger (wine starts winedbg otherwise). */
	SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX);
}

int platform_run_child(const char *name, struct child_end *end)
{
	char exe[MAX_PATH], cmd[2 * MAX_PATH];
	STARTUPINFOA si;
	PROCESS_INFORMATION pi;
	DWORD code = 0;

	memset(end, 0, sizeof *end);
	memset(&si, 0, sizeof si);
	si.cb = sizeof si;
	fflush(stdout);
	GetModuleFileNameA(NULL, exe, sizeof exe);
	snprintf(cmd, sizeof cmd, "\"%s\" child:%s", exe, name);
	if (!CreateProcessA(exe, cmd, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi))
		return -1;
	if (WaitForSingleObject(pi.hProcess, 60000) != WAIT_OBJECT_0) {
		TerminateProcess(pi.hProcess, 1);
		end->timed_out = 1;
	}
	GetExitCodeProcess(pi.hProcess, &code);
	end->exit_code = code;
	CloseHandle(pi.hThread);
	CloseHandle(pi.hProcess);
	return 0;
}

int platform_died_of_access_violation(const struct child_end *end)
{
	return !end->timed_out && end->exit_code == EXCEPTION_ACCESS_VIOLATION;
}

void platform_describe(const struct child_end *end, char *buf, unsigned size)
{
	if (end->timed_out)
		snprintf(buf, size, "hung (terminated after 60 s)");
	else
		snprintf(buf, size, "exit code %#lx", end->exit_code);
}

struct thread_start {
	void (*fn)(int);
	int index;
};

static DWORD WINAPI thread_main(void *arg)
{
	struct thread_start *s = arg;

	s->fn(s->index);
	return 0;
}

int platform_run_threads(int n, void (*fn)(int index))
{
	HANDLE t[16] = { 0 };
	struct thread_start s[16];
	int started = 0, rc = 0;

	if (n > 16)
		return -1;
	for (; started < n; started++) {
		s[started].fn = fn;
		s[started].index = started;
		t[started] = CreateThread(NULL, 0, thread_main, &s[started], 0, NULL);
		if (t[started] == NULL) {
			rc = -1;
			break;
		}
	}
	WaitForMultipleObjects((DWORD)started, t, TRUE, INFINITE);
	for (int i = 0; i < started; i++)
		CloseHandle(t[i]);
	return rc;
}

struct small_stack_start {
	void (*fn)(void);
};

static DWORD WINAPI small_stack_main(void *arg)
{
	((struct small_stack_start *)arg)->fn();
	return 0;
}

int platform_run_small_stack(unsigned long reserve, void (*fn)(void))
{
	struct small_stack_start s = { fn };
	HANDLE t = CreateThread(NULL, reserve, small_stack_main, &s, STACK_SIZE_PARAM_IS_A_RESERVATION, NULL);

	if (t == NULL)
		return -1;
	WaitForSingleObject(t, INFINITE);
	CloseHandle(t);
	return 0;
}

void platform_stack_limits(uintptr_t *low, uintptr_t *high)
{
	ULONG_PTR lo, hi;

	GetCurrentThreadStackLimits(&lo, &hi);
	*low = lo;
	*high = hi;
}

unsigned long platform_stack_guarantee(void)
{
	ULONG bytes = 0;   /* 0 asks, changes nothing */

	return SetThreadStackGuarantee(&bytes) ? bytes : 0;
}

int platform_rearm_stack_guard(void)
{
	return _resetstkoflw() ? 0 : -1;
}

const char *platform_no_alternate_stack(void)
{
	return "Windows has no alternate signal stack: a vectored handler for a stack overflow "
	       "runs on the faulting thread's own stack";
}

const char *platform_no_posix_syscalls(void)
{
	return "Windows system calls have no EFAULT contract to check";
}

void platform_set_last_error(unsigned long value)
{
	SetLastError((DWORD)value);
}

unsigned long platform_last_error(void)
{
	return GetLastError();
}

void platform_clobber_last_error(void)
{
	SetLastError(ERROR_ACCESS_DENIED);
}

const char *platform_threads_unavailable(void)
{
	return NULL;
}

unsigned long platform_context_bytes(const void *ctx)
{
	(void)ctx;
	return TRAMPGEN_CONTEXT_SIZE;
}
