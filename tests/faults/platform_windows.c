/* platform.h on Windows (run under wine). */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include <stdio.h>
#include <string.h>

#include "platform.h"
#include "trampgen.h"

const char platform_name[] = "windows";

static platform_next_fn next_fn;

static LONG CALLBACK next_handler(EXCEPTION_POINTERS *ep)
{
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
