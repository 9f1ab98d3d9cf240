/* platform.h on Linux with real signals; the page half also serves the harness. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
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

void platform_child_prepare(void)
{
#ifdef PLATFORM_HARNESS
	platform_set_next_handler(NULL);
#else
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP };

	for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		signal(sigs[i], SIG_DFL);
#endif
}

int child_seconds = 60;

int platform_run_child(const char *name, struct child_end *end)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	int status = 0;
	pid_t pid;

	memset(end, 0, sizeof *end);
	fflush(stdout);
	/* The raw system call, not fork(): glibc's fork never returns in the
	   child under some qemu-user emulators (7.2 for one 32-bit ISA here:
	   its set_robust_list fails there). With no
	   stack and no TLS arguments, the argument order does not matter. */
	pid = (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(suite_child(name));
	for (int i = 0; i < 100 * child_seconds; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			end->signaled = WIFSIGNALED(status);
			end->signo = end->signaled ? WTERMSIG(status) : 0;
			end->exit_code = WIFEXITED(status) ? (unsigned long)WEXITSTATUS(status) : 0;
			return 0;
		}
		nanosleep(&tick, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	end->timed_out = 1;
	return 0;
}

void platform_describe(const struct child_end *end, char *buf, unsigned size)
{
	if (end->timed_out)
		snprintf(buf, size, "hung (killed after %d s)", child_seconds);
	else if (end->signaled)
		snprintf(buf, size, "killed by signal %d (%s)", end->signo, strsignal(end->signo));
	else
		snprintf(buf, size, "exited with status %lu", end->exit_code);
}

struct thread_start {
	void (*fn)(int);
	int index;
};

static void *thread_main(void *arg)
{
	struct thread_start *s = arg;

	s->fn(s->index);
	return NULL;
}

int platform_run_threads(int n, void (*fn)(int index))
{
	pthread_t t[16];
	struct thread_start s[16];
	int started = 0, rc = 0;

	if (n > 16)
		return -1;
	for (; started < n; started++) {
		s[started].fn = fn;
		s[started].index = started;
		if (pthread_create(&t[started], NULL, thread_main, &s[started]) != 0) {
			rc = -1;
			break;
		}
	}
	for (int i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	return rc;
}

static void *nothing(void *arg)
{
	return arg;
}

int platform_probe_threads(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, nothing, NULL) != 0)
		return 1;
	pthread_join(t, NULL);
	return 0;
}

const char *platform_threads_unavailable(void)
{
	struct child_end end;

	int saved = child_seconds;
	int rc;

	child_seconds = 10;
	rc = platform_run_child("probe_threads", &end);
	child_seconds = saved;
	if (rc != 0)
		return "cannot start a child process to probe for threads";
	if (end.timed_out)
		return "this emulator cannot create a thread: pthread_create never returns "
		       "(seen with qemu-user 7.2 on this kernel)";
	if (end.signaled || end.exit_code != 0)
		return "pthread_create fails in this process";
	return NULL;
}

unsigned long platform_context_bytes(const void *ctx)
{
	stack_t ss;
	uintptr_t top, at = (uintptr_t)ctx;

	/* qemu-user's signal frame for some ISAs (one in 7.2) holds less
	   than sizeof(ucontext_t): never read past the alternate stack. */
	if (sigaltstack(NULL, &ss) == 0 && !(ss.ss_flags & SS_DISABLE)) {
		top = (uintptr_t)ss.ss_sp + ss.ss_size;
		if (at >= (uintptr_t)ss.ss_sp && at < top && top - at < TRAMPGEN_CONTEXT_SIZE)
			return (unsigned long)(top - at);
	}
	return TRAMPGEN_CONTEXT_SIZE;
}

const char *platform_no_posix_syscalls(void)
{
	return NULL;
}

#ifndef PLATFORM_HARNESS
const char platform_name[] = "posix";

int platform_died_of_access_violation(const struct child_end *end)
{
	return !end->timed_out && end->signaled && end->signo == SIGSEGV;
}

const char *platform_no_alternate_stack(void)
{
	return NULL;
}

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
