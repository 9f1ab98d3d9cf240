/* Registers as capture_entry (capture.S) found them when an injected call arrived. */
#ifndef CAPTURE_H
#define CAPTURE_H

#include <stdint.h>
#include <string.h>

extern uint64_t capture_regs[40];   /* integer registers, ISA order below, 8 bytes a slot */
extern uintptr_t capture_sp;        /* SP on arrival */
extern uintptr_t capture_ret;       /* return address on arrival: [SP] or the link register */
void capture_entry(void);           /* jumps on to recovery(arg) */
#include "trampgen_target.h"
void TRAMPGEN_ABI_CC recovery(uintptr_t arg); /* defined by the test */

static const char *const capture_names[] = {
#if defined(__x86_64__)
	"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
#elif defined(__i386__)
	"eax", "ebx", "ecx", "edx", "esi", "edi", "ebp",
#elif defined(__aarch64__)
	"x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15",
	"x16", "x17", "x18", "x19", "x20", "x21", "x22", "x23", "x24", "x25", "x26", "x27", "x28", "x29", "x30",
#elif defined(__arm__)
	"r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12", "sp", "lr",
#elif defined(__riscv) && __riscv_xlen == 64
	/* x0..x31 by ABI name: slot n is xn. */
	"zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
	"a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
#endif
};

/* The captured value of a register by name; sets *found to 0 for an unknown name. */
static inline uintptr_t capture_register(const char *name, int *found)
{
	for (unsigned i = 0; i < sizeof capture_names / sizeof capture_names[0]; i++) {
		if (strcmp(capture_names[i], name) == 0) {
			*found = 1;
			return (uintptr_t)capture_regs[i];
		}
	}
	*found = 0;
	return 0;
}

#endif
