/*
 * Thread lifecycle on Windows: the system stack attach(NULL, size) maps,
 * with its guard page; re-attach keeps one state and frees the old
 * mapping; detach frees it; a thread that exits attached leaks neither its
 * mapping nor its state (the PE TLS callback); the stack guarantee attach
 * sets; the last error across the fault path's state lookup.
 */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include <stdint.h>
#include <string.h>

#include "../faults/check.h"
#include "internal.h"   /* trampgen_os_thread: the one state per thread */

#define EXITING_THREADS 64
#define REATTACHES 100

static void *jump_back[5];
static volatile int sink;
static volatile int faults;
static volatile uintptr_t fault_address;

__attribute__((noinline)) static int read_at(volatile int *p)
{
	return *p;
}

static void TRAMPGEN_ABI_CC recovery(uintptr_t arg)
{
	(void)arg;
	__builtin_longjmp(jump_back, 1);
}

static trampgen_verdict on_fault(trampgen_fault *f, void *user)
{
	(void)user;
	faults++;
	fault_address = f->fault_class == TRAMPGEN_FAULT_ACCESS ? f->address : 0;
	trampgen_inject_call(f->context, (uintptr_t)recovery, 0);
	return TRAMPGEN_CONTINUE_EXECUTION;
}

static int faulted_reading(volatile int *p)
{
	if (__builtin_setjmp(jump_back) == 0) {
		sink = read_at(p);
		return 0;
	}
	return 1;
}

static MEMORY_BASIC_INFORMATION query(uintptr_t a)
{
	MEMORY_BASIC_INFORMATION m;

	memset(&m, 0, sizeof m);
	VirtualQuery((void *)a, &m, sizeof m);
	return m;
}

static size_t page_size(void)
{
	SYSTEM_INFO si;

	GetSystemInfo(&si);
	return si.dwPageSize;
}

/* Busy blocks of the process heap of exactly `size` bytes (trampgen's
   per-thread state is one of them per attached thread). */
static long heap_blocks(size_t size)
{
	PROCESS_HEAP_ENTRY e;
	HANDLE heap = GetProcessHeap();
	long n = 0;

	memset(&e, 0, sizeof e);
	HeapLock(heap);
	while (HeapWalk(heap, &e))
		n += (e.wFlags & PROCESS_HEAP_ENTRY_BUSY) && e.cbData == size;
	HeapUnlock(heap);
	return n;
}

static volatile uintptr_t exited_top[EXITING_THREADS];
static volatile int exited_attach_failed;

static DWORD WINAPI exit_attached(void *arg)
{
	uintptr_t i = (uintptr_t)arg;

	if (trampgen_attach(NULL, 0) != 0)
		exited_attach_failed++;
	exited_top[i] = trampgen_system_stack_top();
	return 0;   /* no detach */
}

static volatile unsigned long other_thread_guarantee = 1;

static DWORD WINAPI never_attaches(void *arg)
{
	ULONG bytes = 0;

	(void)arg;
	other_thread_guarantee = SetThreadStackGuarantee(&bytes) ? bytes : 1;
	return 0;
}

static void run(LPTHREAD_START_ROUTINE fn, void *arg)
{
	HANDLE t = CreateThread(NULL, 0, fn, arg, 0, NULL);

	if (t == NULL) {
		printf("  FAIL CreateThread\n");
		failures++;
		return;
	}
	WaitForSingleObject(t, INFINITE);
	CloseHandle(t);
}

int main(void)
{
	size_t page = page_size();
	uintptr_t top, base, top2, base2;
	size_t want;
	struct trampgen_thread *th;
	MEMORY_BASIC_INFORMATION m;
	ULONG bytes = 0;
	long before, after;
	int freed = 0;

	setvbuf(stdout, NULL, _IONBF, 0);
	printf("lifecycle on %s\n", TRAMPGEN_TARGET);
	CHECK(trampgen_install() == 0, "install failed");
	trampgen_set_handler(TRAMPGEN_KIND_VEH, on_fault, NULL);

	/* attach(NULL, 0): a mapping of its own, default size, guard below. */
	CHECK(trampgen_attach(NULL, 0) == 0, "attach(NULL, 0) failed");
	top = trampgen_system_stack_top();
	m = query(top - 1);
	base = (uintptr_t)m.AllocationBase;
	CHECK(m.State == MEM_COMMIT && m.Protect == PAGE_READWRITE, "top of the system stack: state %#lx protect %#lx",
	      m.State, m.Protect);
	CHECK(top - (base + page) >= TRAMPGEN_SYSTEM_STACK_DEFAULT - TRAMPGEN_STACK_ALIGNMENT,
	      "usable system stack %lu bytes", (unsigned long)(top - (base + page)));
	m = query(base);
	CHECK(m.State == MEM_RESERVE && m.RegionSize == page, "guard page: state %#lx, %lu bytes", m.State,
	      (unsigned long)m.RegionSize);
	m = query(base + page);
	CHECK(m.State == MEM_COMMIT && (uintptr_t)m.BaseAddress == base + page, "above the guard: state %#lx at %p",
	      m.State, m.BaseAddress);
	CHECK(faulted_reading((volatile int *)(base + page - 16)), "reading the guard page did not fault");
	CHECK(faults == 1 && fault_address == base + page - 16, "%d faults, at %#lx", faults,
	      (unsigned long)fault_address);
	/* ... and the stack guarantee for an overflow. */
	CHECK(SetThreadStackGuarantee(&bytes) && bytes >= 16 * 1024, "stack guarantee %lu bytes", (unsigned long)bytes);
	run(never_attaches, NULL);
	CHECK(other_thread_guarantee < 16 * 1024, "a thread that never attached has a guarantee of %lu bytes",
	      other_thread_guarantee);

	/* Re-attach: one state, the old mapping freed, the size in pages. */
	th = trampgen_os_thread(0);
	want = trampgen_system_stack_min() + 1000;   /* not a whole number of pages */
	CHECK(trampgen_attach(NULL, want) == 0, "attach(NULL, %lu) failed", (unsigned long)want);
	CHECK(trampgen_os_thread(0) == th, "re-attach made a second state");
	CHECK(query(top - 1).State == MEM_FREE, "the first system stack was not freed");
	top2 = trampgen_system_stack_top();
	base2 = (uintptr_t)query(top2 - 1).AllocationBase;
	CHECK(top2 - base2 == (want + page - 1) / page * page + page, "mapping of %lu bytes for %lu",
	      (unsigned long)(top2 - base2), (unsigned long)want);

	/* Many re-attaches: still one state, every replaced mapping freed,
	   no state allocated per re-attach. */
	before = heap_blocks(sizeof(struct trampgen_thread));
	for (int i = 0; i < REATTACHES; i++) {
		uintptr_t prev = trampgen_system_stack_top();

		if (trampgen_attach(NULL, 0) != 0 || trampgen_os_thread(0) != th)
			break;
		freed += query(prev - 1).State == MEM_FREE;
	}
	after = heap_blocks(sizeof(struct trampgen_thread));
	CHECK(freed == REATTACHES, "%d of %d re-attaches freed the system stack they replaced", freed, REATTACHES);
	CHECK(after == before, "%ld states allocated by %d re-attaches", after - before, REATTACHES);
	freed = 0;
	top2 = trampgen_system_stack_top();

	/* The fault path's state lookup keeps the last error. */
	SetLastError(0x1234);
	CHECK(trampgen_attached() && GetLastError() == 0x1234, "last error %#lx", GetLastError());

	/* Detach frees it. */
	CHECK(trampgen_detach() == 0, "detach failed");
	CHECK(!trampgen_attached(), "attached after detach");
	CHECK(query(top2 - 1).State == MEM_FREE, "detach left the system stack mapped");

	/* Threads that exit attached: neither mapping nor state stays. */
	run(exit_attached, (void *)(uintptr_t)0);   /* the first may allocate the TLS slot and more */
	before = heap_blocks(sizeof(struct trampgen_thread));
	for (uintptr_t i = 0; i < EXITING_THREADS; i++) {
		run(exit_attached, (void *)i);
		/* checked before anything else can be mapped there */
		freed += exited_top[i] != 0 && query(exited_top[i] - 1).State == MEM_FREE;
	}
	after = heap_blocks(sizeof(struct trampgen_thread));
	CHECK(exited_attach_failed == 0, "%d attaches failed", exited_attach_failed);
	CHECK(freed == EXITING_THREADS, "%d of %d system stacks freed at thread exit", freed, EXITING_THREADS);
	printf("  note: heap blocks of %lu bytes: %ld before %d thread exits, %ld after\n",
	       (unsigned long)sizeof(struct trampgen_thread), before, EXITING_THREADS, after);
	CHECK(after - before < EXITING_THREADS / 2, "%ld thread states leaked", after - before);

	trampgen_uninstall();
	return finish("lifecycle");
}
