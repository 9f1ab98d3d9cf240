/*
 * The emulated-OS harness: a Linux program that plays Windows for the
 * generated Windows trampolines (see harness.c). What tests can see of it.
 */
#ifndef HARNESS_H
#define HARNESS_H

#include <stdint.h>

#ifdef __linux__
#include <ucontext.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Exit status of a process whose exception no handler took (Windows would
   end it with the exception code; a Linux status has 8 bits). */
#define HARNESS_UNHANDLED_STATUS 3

/* EXCEPTION_RECORD and EXCEPTION_POINTERS, laid out as winnt.h (and
   runtime/windows.c) lay them out. */
typedef struct harness_exception_record {
	uint32_t ExceptionCode;
	uint32_t ExceptionFlags;
	struct harness_exception_record *ExceptionRecord;
	void *ExceptionAddress;
	uint32_t NumberParameters;
	uintptr_t ExceptionInformation[15];
} harness_exception_record;

typedef struct harness_exception_pointers {
	harness_exception_record *ExceptionRecord;
	void *ContextRecord;       /* a Windows CONTEXT for this ISA (context.h) */
} harness_exception_pointers;

/* The calling convention of code the trampolines transfer to as if Windows
   code had called it (an injected call): the target's, from the spec. */
#include "trampgen_target.h"
#define HARNESS_WINAPI TRAMPGEN_ABI_CC

/* A vectored handler registered after trampgen's: called with the same
   EXCEPTION_POINTERS when trampgen's returned EXCEPTION_CONTINUE_SEARCH (0).
   Return -1 (EXCEPTION_CONTINUE_EXECUTION) to resume the (possibly edited)
   context, 0 to leave the exception unhandled. NULL: none. */
typedef int32_t (*harness_handler)(void *exception_pointers);
void harness_set_next_handler(harness_handler fn);

/* What the harness did, for tests to check. Written in the signal handler. */
extern volatile uintptr_t harness_last_resume_sp;   /* SP and PC the last */
extern volatile uintptr_t harness_last_resume_pc;   /* resumed context held */
extern volatile unsigned long harness_exceptions;   /* signals turned into exceptions */
extern volatile unsigned long harness_veh_calls;    /* trampgen_exceptiontramp */
extern volatile unsigned long harness_first_vch_calls; /* trampgen_firstcontinuetramp */
extern volatile unsigned long harness_last_vch_calls;  /* trampgen_lastcontinuetramp */
extern volatile unsigned long harness_next_calls;   /* the next handler */

#ifdef __linux__
/* context.c: one ISA's CONTEXT <-> the kernel's ucontext_t. Every integer
   register, SP, PC, LR, flags; floating point where the CONTEXT_FULL of
   the ISA includes it (or where the spec's [harness].fp carries it). */
void context_from_ucontext(void *ctx, const ucontext_t *uc);
void context_to_ucontext(const void *ctx, ucontext_t *uc);
/* For an access fault: 1 write, 0 read, 8 execute, -1 when the ucontext
   does not say. */
int context_access_kind(const ucontext_t *uc);
#endif

#ifdef __cplusplus
}
#endif

#endif /* HARNESS_H */
