/*
 * The harness's CONTEXT mirrors (context.h), checked field by field against
 * the real CONTEXT of <windows.h>. Compiled only by Windows (COFF) builds;
 * elsewhere this file is empty on purpose.
 */
#ifdef _WIN32
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
#include <stddef.h>

#include "context.h"

#define SAME(mine, theirs) \
	_Static_assert(offsetof(harness_context, mine) == offsetof(CONTEXT, theirs) && \
	               sizeof(((harness_context *)0)->mine) == sizeof(((CONTEXT *)0)->theirs), \
	               "harness CONTEXT mirror: " #mine " vs " #theirs)
#define FIELD(f) SAME(f, f)

_Static_assert(sizeof(harness_context) == sizeof(CONTEXT), "harness CONTEXT mirror: size");
_Static_assert(_Alignof(harness_context) == _Alignof(CONTEXT), "harness CONTEXT mirror: alignment");
_Static_assert(HARNESS_CONTEXT_FULL == CONTEXT_FULL, "harness CONTEXT_FULL");

#if defined(__x86_64__)
FIELD(P1Home); FIELD(P2Home); FIELD(P3Home); FIELD(P4Home); FIELD(P5Home); FIELD(P6Home);
FIELD(ContextFlags); FIELD(MxCsr);
FIELD(SegCs); FIELD(SegDs); FIELD(SegEs); FIELD(SegFs); FIELD(SegGs); FIELD(SegSs);
FIELD(EFlags);
FIELD(Dr0); FIELD(Dr1); FIELD(Dr2); FIELD(Dr3); FIELD(Dr6); FIELD(Dr7);
FIELD(Rax); FIELD(Rcx); FIELD(Rdx); FIELD(Rbx); FIELD(Rsp); FIELD(Rbp); FIELD(Rsi); FIELD(Rdi);
FIELD(R8); FIELD(R9); FIELD(R10); FIELD(R11); FIELD(R12); FIELD(R13); FIELD(R14); FIELD(R15);
FIELD(Rip);
FIELD(FltSave);
FIELD(VectorRegister); FIELD(VectorControl); FIELD(DebugControl);
FIELD(LastBranchToRip); FIELD(LastBranchFromRip);
FIELD(LastExceptionToRip); FIELD(LastExceptionFromRip);
_Static_assert(sizeof(XMM_SAVE_AREA32) == 512, "FXSAVE image");
#elif defined(__i386__)
FIELD(ContextFlags);
FIELD(Dr0); FIELD(Dr1); FIELD(Dr2); FIELD(Dr3); FIELD(Dr6); FIELD(Dr7);
FIELD(FloatSave);
FIELD(FloatSave.ControlWord); FIELD(FloatSave.RegisterArea); FIELD(FloatSave.Cr0NpxState);
FIELD(SegGs); FIELD(SegFs); FIELD(SegEs); FIELD(SegDs);
FIELD(Edi); FIELD(Esi); FIELD(Ebx); FIELD(Edx); FIELD(Ecx); FIELD(Eax);
FIELD(Ebp); FIELD(Eip); FIELD(SegCs); FIELD(EFlags); FIELD(Esp); FIELD(SegSs);
FIELD(ExtendedRegisters);
#elif defined(__aarch64__)
_Static_assert(HARNESS_CONTEXT_FLOATING_POINT == CONTEXT_FLOATING_POINT, "CONTEXT_FLOATING_POINT");
FIELD(ContextFlags); FIELD(Cpsr);
SAME(X[0], X0); SAME(X[1], X1); SAME(X[18], X18); SAME(X[28], X28);
FIELD(Fp); FIELD(Lr); FIELD(Sp); FIELD(Pc);
FIELD(V); FIELD(Fpcr); FIELD(Fpsr);
FIELD(Bcr); FIELD(Bvr); FIELD(Wcr); FIELD(Wvr);
#elif defined(__arm__)
_Static_assert(HARNESS_CONTEXT_CONTROL_INTEGER == (CONTEXT_CONTROL | CONTEXT_INTEGER), "CONTROL | INTEGER");
FIELD(ContextFlags);
SAME(R[0], R0); SAME(R[1], R1); SAME(R[2], R2); SAME(R[3], R3); SAME(R[4], R4);
SAME(R[5], R5); SAME(R[6], R6); SAME(R[7], R7); SAME(R[8], R8); SAME(R[9], R9);
SAME(R[10], R10); SAME(R[11], R11); SAME(R[12], R12);
FIELD(Sp); FIELD(Lr); FIELD(Pc); FIELD(Cpsr); FIELD(Fpscr); FIELD(Padding);
FIELD(D);
FIELD(Bvr); FIELD(Bcr); FIELD(Wvr); FIELD(Wcr); FIELD(Padding2);
#endif

#endif /* _WIN32 */

/* ISO C wants at least one declaration in a translation unit. */
typedef int harness_layout_check_unit;
