// capture_entry: where an injected call lands in the fault tests. It records
// the registers exactly as they are on arrival (entry SP, return address, and
// every integer register) and then jumps to recovery(), with the argument
// registers and the stack untouched, so recovery() starts as if called by
// the faulting instruction. Test code: per-ISA by nature.

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#ifdef __USER_LABEL_PREFIX__
#define SYM(name) CAT(__USER_LABEL_PREFIX__, name)
#else
#define SYM(name) name
#endif
#ifdef __ELF__
#define FUNC(name) .globl name; .type name, %function
#define END(name) .size name, .-name
#else
#define FUNC(name) .globl name; .def name; .scl 2; .type 32; .endef
#define END(name)
#endif

	.bss
	.p2align 3
	.globl SYM(capture_regs)
SYM(capture_regs):	.space 8 * 40
	.globl SYM(capture_sp)
SYM(capture_sp):	.space 8
	.globl SYM(capture_ret)
SYM(capture_ret):	.space 8

	.text
#if defined(__x86_64__)
	.p2align 4
	FUNC(SYM(capture_entry))
SYM(capture_entry):
	movq %rax, SYM(capture_regs)+0(%rip)
	movq %rbx, SYM(capture_regs)+8(%rip)
	movq %rcx, SYM(capture_regs)+16(%rip)
	movq %rdx, SYM(capture_regs)+24(%rip)
	movq %rsi, SYM(capture_regs)+32(%rip)
	movq %rdi, SYM(capture_regs)+40(%rip)
	movq %rbp, SYM(capture_regs)+48(%rip)
	movq %r8, SYM(capture_regs)+56(%rip)
	movq %r9, SYM(capture_regs)+64(%rip)
	movq %r10, SYM(capture_regs)+72(%rip)
	movq %r11, SYM(capture_regs)+80(%rip)
	movq %r12, SYM(capture_regs)+88(%rip)
	movq %r13, SYM(capture_regs)+96(%rip)
	movq %r14, SYM(capture_regs)+104(%rip)
	movq %r15, SYM(capture_regs)+112(%rip)
	movq %rsp, SYM(capture_sp)(%rip)
	movq (%rsp), %rax                 // the pushed return address
	movq %rax, SYM(capture_ret)(%rip)
	jmp SYM(recovery)
	END(SYM(capture_entry))
#elif defined(__i386__)
	.p2align 4
	FUNC(SYM(capture_entry))
SYM(capture_entry):
	movl %eax, SYM(capture_regs)+0
	movl %ebx, SYM(capture_regs)+8
	movl %ecx, SYM(capture_regs)+16
	movl %edx, SYM(capture_regs)+24
	movl %esi, SYM(capture_regs)+32
	movl %edi, SYM(capture_regs)+40
	movl %ebp, SYM(capture_regs)+48
	movl %esp, SYM(capture_sp)
	movl (%esp), %eax
	movl %eax, SYM(capture_ret)
	jmp SYM(recovery)
	END(SYM(capture_entry))
#elif defined(__aarch64__)
	.p2align 2
	FUNC(SYM(capture_entry))
SYM(capture_entry):
	stp x0, x1, [sp, #-16]!           // borrow two registers; restored below
	adrp x0, SYM(capture_regs)
	add x0, x0, :lo12:SYM(capture_regs)
	stp x2, x3, [x0, #16]
	stp x4, x5, [x0, #32]
	stp x6, x7, [x0, #48]
	stp x8, x9, [x0, #64]
	stp x10, x11, [x0, #80]
	stp x12, x13, [x0, #96]
	stp x14, x15, [x0, #112]
	stp x16, x17, [x0, #128]
	stp x18, x19, [x0, #144]
	stp x20, x21, [x0, #160]
	stp x22, x23, [x0, #176]
	stp x24, x25, [x0, #192]
	stp x26, x27, [x0, #208]
	stp x28, x29, [x0, #224]
	str x30, [x0, #240]
	ldp x2, x3, [sp], #16             // the original x0, x1
	stp x2, x3, [x0, #0]
	mov x2, sp
	str x2, [x0, #320]                // capture_sp (capture_regs + 8 * 40)
	str x30, [x0, #328]               // capture_ret: the link register
	ldp x2, x3, [x0, #16]
	ldp x0, x1, [x0, #0]              // x0 last: it is the base
	b SYM(recovery)
	END(SYM(capture_entry))
#elif defined(__arm__)
	.syntax unified
	.thumb
	.p2align 2
	FUNC(SYM(capture_entry))
	.thumb_func
SYM(capture_entry):
	str r0, [sp, #-8]                 // borrow r0 through the dead area below sp
	ldr r0, =SYM(capture_regs)
	str r1, [r0, #8]
	str r2, [r0, #16]
	str r3, [r0, #24]
	str r4, [r0, #32]
	str r5, [r0, #40]
	str r6, [r0, #48]
	str r7, [r0, #56]
	str r8, [r0, #64]
	str r9, [r0, #72]
	str r10, [r0, #80]
	str r11, [r0, #88]
	str r12, [r0, #96]
	str lr, [r0, #112]
	str sp, [r0, #320]                // capture_sp
	str lr, [r0, #328]                // capture_ret: the link register
	ldr r1, [sp, #-8]
	str r1, [r0, #0]
	ldr r1, [r0, #8]
	ldr r0, [r0, #0]
	b.w SYM(recovery)
	.ltorg
	END(SYM(capture_entry))
#elif defined(__riscv) && __riscv_xlen == 64
	// Slot n holds xn (capture.h names them by ABI name in that order).
	.p2align 2
	FUNC(SYM(capture_entry))
SYM(capture_entry):
	sd t0, -8(sp)                     // borrow t0 through the dead area below sp (no red zone, nothing else runs here)
	lla t0, SYM(capture_regs)         // pc-relative: works linked with or without -pie
	sd zero, 0(t0)
	sd ra, 8(t0)
	sd sp, 16(t0)
	sd gp, 24(t0)
	sd tp, 32(t0)
	sd t1, 48(t0)
	sd t2, 56(t0)
	sd s0, 64(t0)
	sd s1, 72(t0)
	sd a0, 80(t0)
	sd a1, 88(t0)
	sd a2, 96(t0)
	sd a3, 104(t0)
	sd a4, 112(t0)
	sd a5, 120(t0)
	sd a6, 128(t0)
	sd a7, 136(t0)
	sd s2, 144(t0)
	sd s3, 152(t0)
	sd s4, 160(t0)
	sd s5, 168(t0)
	sd s6, 176(t0)
	sd s7, 184(t0)
	sd s8, 192(t0)
	sd s9, 200(t0)
	sd s10, 208(t0)
	sd s11, 216(t0)
	sd t3, 224(t0)
	sd t4, 232(t0)
	sd t5, 240(t0)
	sd t6, 248(t0)
	ld t1, -8(sp)                     // the original t0 ...
	sd t1, 40(t0)                     // ... into slot 5
	sd sp, 320(t0)                    // capture_sp (capture_regs + 8 * 40)
	sd ra, 328(t0)                    // capture_ret: the link register
	ld t1, 48(t0)                     // t0/t1 as they arrived (not arguments, but
	ld t0, 40(t0)                     // leave them as found; t0 last: it is the base)
	j SYM(recovery)                   // jal x0: writes no register (`tail` would clobber t1)
	END(SYM(capture_entry))
#else
#error "capture.S: no capture shim for this ISA"
#endif

#ifdef __ELF__
	.section .note.GNU-stack,"",%progbits
#endif
