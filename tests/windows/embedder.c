/*
 * Embedder mode on Windows: a runtime that owns its vectored handler asks
 * trampgen_try_handle_exception from it; trampgen_install is never called.
 * One fault is claimed (the context updated, resumed by the embedder's
 * EXCEPTION_CONTINUE_EXECUTION); one is declined and reaches the next
 * vectored handler with record and context byte for byte as Windows
 * delivered them; with the embedder's handler gone, trampgen sees nothing.
 * A fault inside a trampgen handler ends the process with the exception's
 * code after one line on stderr, in embedder mode as in installed mode
 * (each in a child process whose stderr is a file read back here).
 */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include <stdint.h>
#include <string.h>

#include "../faults/check.h"
#include "trampgen.h"

static void *jump_back[5];
static volatile int sink;
static char system_stack[64 * 1024] __attribute__((aligned(64)));

__attribute__((noinline)) static int read_at(volatile int *p)
{
	return *p;
}

static volatile int handler_calls, claimed, declined, next_calls, next_identical, recovered;
static volatile uintptr_t recovery_arg, handler_address;
static CONTEXT delivered_context;
static EXCEPTION_RECORD delivered_record;

static void TRAMPGEN_ABI_CC recovery(uintptr_t arg)
{
	recovered++;
	recovery_arg = arg;
	__builtin_longjmp(jump_back, 1);
}

/* trampgen's handler: claims the fault at address 0, declines the others. */
static trampgen_verdict on_fault(trampgen_fault *f, void *user)
{
	(void)user;
	handler_calls++;
	handler_address = f->address;
	if (f->fault_class != TRAMPGEN_FAULT_ACCESS || f->address != 0)
		return TRAMPGEN_CONTINUE_SEARCH;
	trampgen_inject_call(f->context, (uintptr_t)recovery, 1);
	return TRAMPGEN_CONTINUE_EXECUTION;
}

/* The embedder's own vectored handler, first in line. */
static LONG CALLBACK embedder_handler(EXCEPTION_POINTERS *ep)
{
	memcpy(&delivered_context, ep->ContextRecord, sizeof delivered_context);
	memcpy(&delivered_record, ep->ExceptionRecord, sizeof delivered_record);
	if (trampgen_try_handle_exception(ep, TRAMPGEN_KIND_VEH)) {
		claimed++;
		return EXCEPTION_CONTINUE_EXECUTION;
	}
	declined++;
	return EXCEPTION_CONTINUE_SEARCH;
}

/* The handler after it: compares, then recovers with argument 2. */
static LONG CALLBACK next_handler(EXCEPTION_POINTERS *ep)
{
	next_calls++;
	next_identical = memcmp(&delivered_context, ep->ContextRecord, sizeof delivered_context) == 0 &&
	                 memcmp(&delivered_record, ep->ExceptionRecord, sizeof delivered_record) == 0;
	trampgen_inject_call(ep->ContextRecord, (uintptr_t)recovery, 2);
	return EXCEPTION_CONTINUE_EXECUTION;
}

static int faulted_reading(volatile int *p)
{
	if (__builtin_setjmp(jump_back) == 0) {
		sink = read_at(p);
		return 0;
	}
	return 1;
}

/* ---- a fault inside a handler, in a child ---- */

static trampgen_verdict fault_again(trampgen_fault *f, void *user)
{
	(void)f;
	(void)user;
	sink = read_at((volatile int *)8);
	return TRAMPGEN_CONTINUE_SEARCH;
}

static LONG CALLBACK embedder_plain(EXCEPTION_POINTERS *ep)
{
	return trampgen_try_handle_exception(ep, TRAMPGEN_KIND_VEH) ? EXCEPTION_CONTINUE_EXECUTION
	                                                             : EXCEPTION_CONTINUE_SEARCH;
}

static int child(const char *mode)
{
	SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX);
	if (strcmp(mode, "installed") == 0)
		trampgen_install();
	else
		AddVectoredExceptionHandler(1, embedder_plain);
	trampgen_attach(system_stack, sizeof system_stack);
	trampgen_set_handler(TRAMPGEN_KIND_VEH, fault_again, NULL);
	sink = read_at((volatile int *)0);
	return 0;
}

/* Runs `embedder child:<mode>` with stderr to a file; its exit code and
   what it wrote there. */
static int run_child(const char *mode, DWORD *code, char *err, DWORD size)
{
	char exe[MAX_PATH], cmd[2 * MAX_PATH], path[MAX_PATH], dir[MAX_PATH];
	SECURITY_ATTRIBUTES sa = { sizeof sa, NULL, TRUE };
	STARTUPINFOA si;
	PROCESS_INFORMATION pi;
	HANDLE file;
	DWORD n = 0;

	GetModuleFileNameA(NULL, exe, sizeof exe);
	GetTempPathA(sizeof dir, dir);
	GetTempFileNameA(dir, "tg", 0, path);
	file = CreateFileA(path, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, &sa,
	                   CREATE_ALWAYS, FILE_ATTRIBUTE_TEMPORARY, NULL);
	if (file == INVALID_HANDLE_VALUE)
		return -1;
	memset(&si, 0, sizeof si);
	si.cb = sizeof si;
	si.dwFlags = STARTF_USESTDHANDLES;
	si.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
	si.hStdOutput = GetStdHandle(STD_OUTPUT_HANDLE);
	si.hStdError = file;
	snprintf(cmd, sizeof cmd, "\"%s\" child:%s", exe, mode);
	if (!CreateProcessA(exe, cmd, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi)) {
		CloseHandle(file);
		return -1;
	}
	if (WaitForSingleObject(pi.hProcess, 60000) != WAIT_OBJECT_0) {
		TerminateProcess(pi.hProcess, 1);
		printf("  child %s hung (terminated after 60 s)\n", mode);
	}
	GetExitCodeProcess(pi.hProcess, code);
	CloseHandle(pi.hThread);
	CloseHandle(pi.hProcess);
	SetFilePointer(file, 0, NULL, FILE_BEGIN);
	ReadFile(file, err, size - 1, &n, NULL);
	err[n] = 0;
	CloseHandle(file);
	DeleteFileA(path);
	return 0;
}

static void check_nested(const char *mode)
{
	char err[512];
	DWORD code = 0;
	const char *nl;

	CHECK(run_child(mode, &code, err, sizeof err) == 0, "child %s did not start", mode);
	printf("  child %s: exit code %#lx, stderr: %s", mode, (unsigned long)code, err);
	nl = strchr(err, '\n');
	CHECK(code == EXCEPTION_ACCESS_VIOLATION, "%s: exit code %#lx", mode, (unsigned long)code);
	/* trampgen_nested_message's line, and nothing else */
	CHECK(err[0] != 0 && err[0] != '\n' && nl != NULL && nl[1] == 0, "%s: stderr is not one line: \"%s\"",
	      mode, err);
}

int main(int argc, char **argv)
{
	PVOID own, next;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc == 2 && strncmp(argv[1], "child:", 6) == 0)
		return child(argv[1] + 6);
	printf("embedder on %s\n", TRAMPGEN_TARGET);
	next = AddVectoredExceptionHandler(0, next_handler);
	own = AddVectoredExceptionHandler(1, embedder_handler);
	CHECK(own != NULL && next != NULL, "vectored handlers not added");
	CHECK(trampgen_attach(system_stack, sizeof system_stack) == 0, "attach failed");
	trampgen_set_handler(TRAMPGEN_KIND_VEH, on_fault, NULL);
	CHECK(trampgen_check_handlers(NULL, 0) == 0, "check_handlers reports lost handlers");

	/* Claimed: trampgen's handler ran, the context went to recovery(1). */
	CHECK(faulted_reading((volatile int *)0), "reading 0 did not fault");
	CHECK(handler_calls == 1 && claimed == 1 && declined == 0, "handler %d, claimed %d, declined %d",
	      handler_calls, claimed, declined);
	CHECK(recovered == 1 && recovery_arg == 1, "recovered %d times, argument %lu", recovered,
	      (unsigned long)recovery_arg);
	CHECK(next_calls == 0, "the next handler ran %d times for a claimed fault", next_calls);

	/* Declined: the next handler got it untouched. */
	CHECK(faulted_reading((volatile int *)16), "reading 16 did not fault");
	CHECK(handler_calls == 2 && handler_address == 16, "handler %d, address %#lx", handler_calls,
	      (unsigned long)handler_address);
	CHECK(claimed == 1 && declined == 1, "claimed %d, declined %d", claimed, declined);
	CHECK(next_calls == 1 && next_identical, "next handler %d times, context and record %s", next_calls,
	      next_identical ? "identical" : "changed");
	CHECK(recovered == 2 && recovery_arg == 2, "recovered %d times, argument %lu", recovered,
	      (unsigned long)recovery_arg);

	/* trampgen installed nothing: without the embedder's handler the
	   fault goes straight to the next one. */
	RemoveVectoredExceptionHandler(own);
	CHECK(faulted_reading((volatile int *)0), "reading 0 did not fault");
	CHECK(handler_calls == 2, "trampgen's handler ran without the embedder asking (%d)", handler_calls);
	CHECK(next_calls == 2, "next handler %d times", next_calls);

	/* An unattached thread: declined, untouched. */
	own = AddVectoredExceptionHandler(1, embedder_handler);
	trampgen_detach();
	CHECK(faulted_reading((volatile int *)0), "reading 0 did not fault");
	CHECK(handler_calls == 2 && declined == 2, "unattached: handler %d, declined %d", handler_calls, declined);
	CHECK(next_calls == 3 && next_identical, "unattached: next handler %d times, %s", next_calls,
	      next_identical ? "identical" : "changed");
	RemoveVectoredExceptionHandler(own);
	RemoveVectoredExceptionHandler(next);

	/* A fault inside a handler: one line, then the exception's end. */
	check_nested("embedder");
	check_nested("installed");
	return finish("embedder");
}
