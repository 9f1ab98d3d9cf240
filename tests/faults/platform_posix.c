/* platform.h on Linux with real signals; the page half also serves the harness. */
#define _GNU_SOURCE
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "platform.h"
#include "trampgen.h"

void *platform_page_alloc(void)
{
	void *p = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

void platform_page_protect(void *page, int writable)
{
	mprotect(page, (size_t)sysconf(_SC_PAGESIZE), writable ? PROT_READ | PROT_WRITE : PROT_READ);
}

#ifndef PLATFORM_HARNESS
const char platform_name[] = "posix";

static platform_next_fn next_fn;

static void next_handler(int signo, siginfo_t *info, void *uctx)
{
	struct sigaction dfl;

	(void)info;
	if (next_fn && next_fn(uctx))
		return;
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	sigaction(signo, &dfl, NULL);   /* the fault re-executes and is fatal */
}

void platform_replay(const trampgen_fault *original, void *context)
{
	siginfo_t info;

	memset(&info, 0, sizeof info);
	info.si_signo = (int)original->code;
	info.si_code = original->detail;
	info.si_addr = (void *)original->address;
	trampgen_signaltramp((int)original->code, &info, context);
}

int platform_add_last_exception_handler(void *entry)
{
	(void)entry;
	return -1;
}

const char *platform_continue_handlers_missing(void)
{
	return "POSIX has no continue handlers";
}

void platform_set_next_handler(platform_next_fn fn)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP };
	struct sigaction sa;

	next_fn = fn;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = next_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaction(sigs[i], &sa, NULL);
}
#endif
