/*
 * Mirrors of the Windows CONTEXT record, one per ISA, written from winnt.h
 * (mingw-w64: _AMD64_, _X86_, _ARM64_, _ARM_). Field names are the Windows
 * ones so that layout_check.c can compare each field with the real header.
 *
 * The ISA is chosen by the compiler's predefined macros only, never by the
 * OS: the emulated-OS harness (Linux) and layout_check.c (Windows) include
 * the same definitions.
 */
#ifndef HARNESS_CONTEXT_H
#define HARNESS_CONTEXT_H

#include <stdint.h>

#if defined(__x86_64__)

/* CONTEXT_AMD64 | CONTROL | INTEGER | FLOATING_POINT */
#define HARNESS_CONTEXT_FULL 0x0010000Bu
#define HARNESS_CONTEXT_SIZE 1232

struct harness_m128a {
	uint64_t Low;
	int64_t High;
};

typedef struct harness_context {
	uint64_t P1Home, P2Home, P3Home, P4Home, P5Home, P6Home;
	uint32_t ContextFlags;
	uint32_t MxCsr;
	uint16_t SegCs, SegDs, SegEs, SegFs, SegGs, SegSs;
	uint32_t EFlags;
	uint64_t Dr0, Dr1, Dr2, Dr3, Dr6, Dr7;
	uint64_t Rax, Rcx, Rdx, Rbx, Rsp, Rbp, Rsi, Rdi;
	uint64_t R8, R9, R10, R11, R12, R13, R14, R15;
	uint64_t Rip;
	/* XMM_SAVE_AREA32: the FXSAVE image, as Linux's struct _libc_fpstate. */
	_Alignas(16) uint8_t FltSave[512];
	struct harness_m128a VectorRegister[26];
	uint64_t VectorControl;
	uint64_t DebugControl;
	uint64_t LastBranchToRip, LastBranchFromRip;
	uint64_t LastExceptionToRip, LastExceptionFromRip;
} __attribute__((aligned(16))) harness_context;

#define HARNESS_CONTEXT_PC(c) ((c)->Rip)
#define HARNESS_CONTEXT_SP(c) ((c)->Rsp)

#elif defined(__i386__)

/* CONTEXT_i386 | CONTROL | INTEGER | SEGMENTS */
#define HARNESS_CONTEXT_FULL 0x00010007u
#define HARNESS_CONTEXT_SIZE 716

struct harness_floating_save_area {
	uint32_t ControlWord, StatusWord, TagWord;
	uint32_t ErrorOffset, ErrorSelector, DataOffset, DataSelector;
	uint8_t RegisterArea[80];
	uint32_t Cr0NpxState;
};

typedef struct harness_context {
	uint32_t ContextFlags;
	uint32_t Dr0, Dr1, Dr2, Dr3, Dr6, Dr7;
	struct harness_floating_save_area FloatSave;
	uint32_t SegGs, SegFs, SegEs, SegDs;
	uint32_t Edi, Esi, Ebx, Edx, Ecx, Eax;
	uint32_t Ebp, Eip, SegCs, EFlags, Esp, SegSs;
	uint8_t ExtendedRegisters[512];
} harness_context;

#define HARNESS_CONTEXT_PC(c) ((c)->Eip)
#define HARNESS_CONTEXT_SP(c) ((c)->Esp)

#elif defined(__aarch64__)

/* CONTEXT_ARM64 | CONTROL | INTEGER; FLOATING_POINT is added when the
   ucontext carried the FP/SIMD record. */
#define HARNESS_CONTEXT_FULL 0x00400003u
#define HARNESS_CONTEXT_FLOATING_POINT 0x00400004u
#define HARNESS_CONTEXT_SIZE 912

typedef struct harness_context {
	uint32_t ContextFlags;
	uint32_t Cpsr;
	uint64_t X[29];            /* X0..X28 (winnt.h: a union with X0..X28, Fp, Lr) */
	uint64_t Fp;
	uint64_t Lr;
	uint64_t Sp;
	uint64_t Pc;
	uint64_t V[32][2];         /* NEON128 */
	uint32_t Fpcr;
	uint32_t Fpsr;
	uint32_t Bcr[8];
	uint64_t Bvr[8];
	uint32_t Wcr[2];
	uint64_t Wvr[2];
} __attribute__((aligned(16))) harness_context;

#define HARNESS_CONTEXT_PC(c) ((c)->Pc)
#define HARNESS_CONTEXT_SP(c) ((c)->Sp)

#elif defined(__arm__)

/* CONTEXT_ARM | CONTROL | INTEGER | FLOATING_POINT; without the VFP record
   in the ucontext only CONTROL | INTEGER. */
#define HARNESS_CONTEXT_FULL 0x00200007u
#define HARNESS_CONTEXT_CONTROL_INTEGER 0x00200003u
#define HARNESS_CONTEXT_SIZE 416

typedef struct harness_context {
	uint32_t ContextFlags;
	uint32_t R[13];            /* R0..R12 */
	uint32_t Sp;
	uint32_t Lr;
	uint32_t Pc;               /* no Thumb bit: Cpsr.T says the state */
	uint32_t Cpsr;
	uint32_t Fpscr;
	uint32_t Padding;
	uint64_t D[32];            /* winnt.h: a union of Q[16], D[32], S[32] */
	uint32_t Bvr[8];
	uint32_t Bcr[8];
	uint32_t Wvr[1];
	uint32_t Wcr[1];
	uint32_t Padding2[2];
} __attribute__((aligned(8))) harness_context;

#define HARNESS_CONTEXT_PC(c) ((c)->Pc)
#define HARNESS_CONTEXT_SP(c) ((c)->Sp)

#else
#error "tests/harness: no CONTEXT mirror for this ISA"
#endif

_Static_assert(sizeof(harness_context) == HARNESS_CONTEXT_SIZE, "CONTEXT mirror size");

#endif /* HARNESS_CONTEXT_H */
