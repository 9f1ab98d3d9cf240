/* platform.h in the emulated-OS harness: the harness's next-handler hook;
   pages come from platform_posix.c (the harness is a Linux program). */
#include <string.h>

#include "harness.h"
#include "platform.h"
#include "trampgen.h"

const char platform_name[] = "emulated Windows on Linux";

static platform_next_fn next_fn;

static int32_t next_handler(void *exception_pointers)
{
	harness_exception_pointers *ep = exception_pointers;

	return next_fn && next_fn(ep->ContextRecord) ? -1 : 0;
}

void platform_set_next_handler(platform_next_fn fn)
{
	next_fn = fn;
	harness_set_next_handler(next_handler);
}

void platform_replay(const trampgen_fault *original, void *context)
{
	harness_exception_record rec;
	harness_exception_pointers ep = { &rec, context };

	memset(&rec, 0, sizeof rec);
	rec.ExceptionCode = original->code;
	rec.ExceptionAddress = (void *)trampgen_context_pc(context);
	if (original->fault_class == TRAMPGEN_FAULT_ACCESS) {
		rec.NumberParameters = 2;
		rec.ExceptionInformation[0] = (uintptr_t)original->detail;
		rec.ExceptionInformation[1] = original->address;
	}
	trampgen_exceptiontramp(&ep);
}

int platform_add_last_exception_handler(void *entry)
{
	(void)entry;
	return -1;     /* not needed: the harness calls continue handlers */
}

const char *platform_continue_handlers_missing(void)
{
	return NULL;   /* the harness calls them as Windows does */
}

int platform_died_of_access_violation(const struct child_end *end)
{
	/* The harness ends a process whose exception nobody handled with this
	   status, after one line on stderr (harness.h). */
	return !end->timed_out && !end->signaled && end->exit_code == HARNESS_UNHANDLED_STATUS;
}

const char *platform_no_alternate_stack(void)
{
	return "Windows has no alternate signal stack: a vectored handler runs on the faulting "
	       "thread's own stack, and the harness plays Windows";
}
