// Conformance harness, the per-ISA half: a caller that enters a generated
// trampoline exactly as the OS does with every register holding a known
// value, a clobber-all stand-in for the runtime's dispatcher, and a caller
// and landing pad for trampgen_sigresume. conform.c decides which values go
// in and which must come back; nothing here knows which registers an ABI
// preserves (that is the point: the oracle says so, not this file or the
// target spec).
//
// Everything is exchanged through the tables below, one slot per register in
// the order of the ISA's register list in spec/isa/<isa>.toml (x86-64:
// rax rbx rcx rdx rsi rdi rbp rsp r8..r15; i386: eax ebx ecx edx esi edi ebp
// esp; aarch64: x0..x30; thumb2: r0..r12 sp lr; riscv64: x0..x31). Vector
// slots are 16 bytes whatever the register's width.
//
// Preprocessor inputs (set by target.cmake from the target name, never from
// the target spec's ABI):
//   CONFORM_WIN64     the Microsoft x64 convention (windows-amd64), not System V
//   CONFORM_WINDOWS   a Windows target: the handler is stdcall on x86, and
//                     x18 is the TEB pointer on arm64 (a Windows function may
//                     not write it, so neither does our dispatcher)

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

#if defined(__x86_64__) || defined(__aarch64__) || (defined(__riscv) && __riscv_xlen == 64)
#define W 8
#else
#define W 4
#endif

#define DATA(name, bytes) .globl SYM(name); SYM(name): .space bytes

	.bss
	.p2align 4
DATA(conform_in_vec, 16 * 32)      // vector registers loaded before the call/jump
DATA(conform_out_vec, 16 * 32)     // ... and as they came back
DATA(conform_in_int, W * 40)       // integer registers loaded before the call/jump
DATA(conform_out_int, W * 40)      // ... and as they came back
DATA(conform_out_sp, W)            // SP after the entry returned / at the resume target
DATA(conform_sp_before, W)         // SP the entry must return with
DATA(conform_host_sp, W)           // the C caller's SP, to get back to it
DATA(conform_target, W)            // x86: the entry to call (other ISAs call through a register slot)
DATA(conform_stack_args, W * 4)    // x86: the handler's stack arguments, first at the lowest address
DATA(conform_nstack, W)            // x86: how many
DATA(conform_disp_count, W)        // the dispatcher: how often it ran
DATA(conform_disp_sp, W)           // ... SP on its entry
DATA(conform_disp_args, W * 4)     // ... its first four integer arguments

	.text

// ---------------------------------------------------------------------------
#if defined(__x86_64__)
#define IN(i) SYM(conform_in_int)+8*i(%rip)
#define OUT(i) SYM(conform_out_int)+8*i(%rip)

// Saves every register either x86-64 convention makes a callee keep (SysV:
// rbx rbp r12-r15; Microsoft: also rdi rsi xmm6-xmm15), so this works called
// from C of either; then records the caller's SP.
.macro host_save
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	pushq %rdi
	pushq %rsi
	subq $168, %rsp                   // 10 x 16 bytes, and 8 to realign
	.irp n, 6,7,8,9,10,11,12,13,14,15
	movdqu %xmm\n, 16*\n-96(%rsp)
	.endr
	movq %rsp, SYM(conform_host_sp)(%rip)
.endm

.macro host_restore_return
	movq SYM(conform_host_sp)(%rip), %rsp
	.irp n, 6,7,8,9,10,11,12,13,14,15
	movdqu 16*\n-96(%rsp), %xmm\n
	.endr
	addq $168, %rsp
	popq %rsi
	popq %rdi
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
	ret
.endm

// Every register but rsp from conform_in_int / conform_in_vec.
.macro load_all
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	movdqu SYM(conform_in_vec)+16*\n(%rip), %xmm\n
	.endr
	movq IN(0), %rax
	movq IN(1), %rbx
	movq IN(2), %rcx
	movq IN(3), %rdx
	movq IN(4), %rsi
	movq IN(5), %rdi
	movq IN(6), %rbp
	movq IN(8), %r8
	movq IN(9), %r9
	movq IN(10), %r10
	movq IN(11), %r11
	movq IN(12), %r12
	movq IN(13), %r13
	movq IN(14), %r14
	movq IN(15), %r15
.endm

// Every register, and rsp, into conform_out_int / conform_out_vec; RIP-relative
// stores need no base register, so nothing is disturbed before it is stored.
.macro store_all
	movq %rax, OUT(0)
	movq %rbx, OUT(1)
	movq %rcx, OUT(2)
	movq %rdx, OUT(3)
	movq %rsi, OUT(4)
	movq %rdi, OUT(5)
	movq %rbp, OUT(6)
	movq %rsp, OUT(7)
	movq %r8, OUT(8)
	movq %r9, OUT(9)
	movq %r10, OUT(10)
	movq %r11, OUT(11)
	movq %r12, OUT(12)
	movq %r13, OUT(13)
	movq %r14, OUT(14)
	movq %r15, OUT(15)
	movq %rsp, SYM(conform_out_sp)(%rip)
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	movdqu %xmm\n, SYM(conform_out_vec)+16*\n(%rip)
	.endr
.endm

// conform_call_entry(void): calls conform_target as the OS calls a handler:
// SP 16-byte aligned at the call (Microsoft x64 also reserves 32 bytes of
// shadow space above the return address), arguments in the registers C put
// them in conform_in_int, every other register a canary.
	.p2align 4
	FUNC(SYM(conform_call_entry))
SYM(conform_call_entry):
	host_save
	andq $-16, %rsp
#ifdef CONFORM_WIN64
	subq $32, %rsp                    // shadow space the handler may spill its argument registers to
#endif
	movq %rsp, SYM(conform_sp_before)(%rip)
	load_all
	call *SYM(conform_target)(%rip)
	store_all
	host_restore_return
	END(SYM(conform_call_entry))

// conform_sigresume_run(void): every register from the tables (C put the
// target SP and PC in the two resume scratch registers' slots), then a plain
// jump into trampgen_sigresume, which must arrive at conform_resume_target.
	.p2align 4
	FUNC(SYM(conform_sigresume_run))
SYM(conform_sigresume_run):
	host_save
	load_all
	jmp SYM(trampgen_sigresume)
	END(SYM(conform_sigresume_run))

	.p2align 4
	FUNC(SYM(conform_resume_target))
SYM(conform_resume_target):
	store_all
	host_restore_return
	END(SYM(conform_resume_target))

// The dispatcher sigtramp calls: records that it ran, its SP and arguments,
// then overwrites every register but rsp (callee-saved ones included, which
// no real function may do: only sigtramp's save and restore can make them
// survive) and returns the verdict 0x7E57AB1E. The return address stays on
// the stack where the call put it.
	.p2align 4
	FUNC(SYM(trampgen_windows_dispatch))
	FUNC(SYM(trampgen_posix_dispatch))
SYM(trampgen_windows_dispatch):
SYM(trampgen_posix_dispatch):
	incq SYM(conform_disp_count)(%rip)
	movq %rsp, SYM(conform_disp_sp)(%rip)
#ifdef CONFORM_WIN64
	movq %rcx, SYM(conform_disp_args)+0(%rip)
	movq %rdx, SYM(conform_disp_args)+8(%rip)
	movq %r8, SYM(conform_disp_args)+16(%rip)
	movq %r9, SYM(conform_disp_args)+24(%rip)
#else
	movq %rdi, SYM(conform_disp_args)+0(%rip)
	movq %rsi, SYM(conform_disp_args)+8(%rip)
	movq %rdx, SYM(conform_disp_args)+16(%rip)
	movq %rcx, SYM(conform_disp_args)+24(%rip)
#endif
	.irp r, rbx,rcx,rdx,rsi,rdi,rbp,r8,r9,r10,r11,r12,r13,r14,r15
	movabsq $0xD15EA5EDD15EA5ED, %\r
	.endr
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	pcmpeqd %xmm\n, %xmm\n            // all ones: 128 bits clobbered
	.endr
	movabsq $0xD15EA5ED7E57AB1E, %rax // verdict in the low 32 bits
	ret
	END(SYM(trampgen_posix_dispatch))

// ---------------------------------------------------------------------------
#elif defined(__i386__)
#define IN(i) SYM(conform_in_int)+4*i
#define OUT(i) SYM(conform_out_int)+4*i

.macro host_save
	pushl %ebx
	pushl %esi
	pushl %edi
	pushl %ebp
	movl %esp, SYM(conform_host_sp)
.endm

.macro host_restore_return
	movl SYM(conform_host_sp), %esp
	popl %ebp
	popl %edi
	popl %esi
	popl %ebx
	ret
.endm

.macro load_all
	movl IN(0), %eax
	movl IN(1), %ebx
	movl IN(2), %ecx
	movl IN(3), %edx
	movl IN(4), %esi
	movl IN(5), %edi
	movl IN(6), %ebp
.endm

.macro store_all
	movl %eax, OUT(0)
	movl %ebx, OUT(1)
	movl %ecx, OUT(2)
	movl %edx, OUT(3)
	movl %esi, OUT(4)
	movl %edi, OUT(5)
	movl %ebp, OUT(6)
	movl %esp, OUT(7)
	movl %esp, SYM(conform_out_sp)
.endm

// conform_call_entry(void): the handler's arguments are pushed (first at the
// lowest address) so that SP is 16-byte aligned at the call. A Windows
// handler is stdcall (NTAPI) and pops them itself; a Linux signal handler is
// cdecl and leaves them to us. conform_sp_before is the SP either must
// return with.
	.p2align 4
	FUNC(SYM(conform_call_entry))
SYM(conform_call_entry):
	host_save
	andl $-16, %esp
	movl SYM(conform_nstack), %eax
	movl %eax, %ecx
	negl %ecx
	andl $3, %ecx
	shll $2, %ecx
	subl %ecx, %esp                   // pad: n pushes then end 16-byte aligned
	movl %esp, %edx                   // SP before the pushes
1:	testl %eax, %eax
	jz 2f
	decl %eax
	pushl SYM(conform_stack_args)(,%eax,4)
	jmp 1b
2:
#ifdef CONFORM_WINDOWS
	movl %edx, SYM(conform_sp_before)  // stdcall: the callee pops its arguments
#else
	movl %esp, SYM(conform_sp_before)  // cdecl: the caller pops them
#endif
	load_all
	call *SYM(conform_target)
	store_all
	host_restore_return
	END(SYM(conform_call_entry))

	.p2align 4
	FUNC(SYM(conform_sigresume_run))
SYM(conform_sigresume_run):
	host_save
	load_all
	jmp SYM(trampgen_sigresume)
	END(SYM(conform_sigresume_run))

	.p2align 4
	FUNC(SYM(conform_resume_target))
SYM(conform_resume_target):
	store_all
	host_restore_return
	END(SYM(conform_resume_target))

// The dispatcher is cdecl on both OSes (sigtramp pops nothing after the call).
	.p2align 4
	FUNC(SYM(trampgen_windows_dispatch))
	FUNC(SYM(trampgen_posix_dispatch))
SYM(trampgen_windows_dispatch):
SYM(trampgen_posix_dispatch):
	incl SYM(conform_disp_count)
	movl %esp, SYM(conform_disp_sp)
	.irp n, 0,1,2,3
	movl 4+4*\n(%esp), %eax
	movl %eax, SYM(conform_disp_args)+4*\n
	.endr
	.irp r, ebx,ecx,edx,esi,edi,ebp
	movl $0xD15EA5ED, %\r
	.endr
	movl $0x7E57AB1E, %eax
	ret
	END(SYM(trampgen_posix_dispatch))

// ---------------------------------------------------------------------------
#elif defined(__aarch64__)

// x19-x28, x29, x30 and d8-d15: what AAPCS64 makes this function keep for its C caller.
.macro host_save
	stp x29, x30, [sp, #-160]!
	stp x19, x20, [sp, #16]
	stp x21, x22, [sp, #32]
	stp x23, x24, [sp, #48]
	stp x25, x26, [sp, #64]
	stp x27, x28, [sp, #80]
	stp d8, d9, [sp, #96]
	stp d10, d11, [sp, #112]
	stp d12, d13, [sp, #128]
	stp d14, d15, [sp, #144]
	adrp x9, SYM(conform_host_sp)
	mov x10, sp
	str x10, [x9, :lo12:SYM(conform_host_sp)]
.endm

.macro host_restore_return
	adrp x9, SYM(conform_host_sp)
	ldr x10, [x9, :lo12:SYM(conform_host_sp)]
	mov sp, x10
	ldp d14, d15, [sp, #144]
	ldp d12, d13, [sp, #128]
	ldp d10, d11, [sp, #112]
	ldp d8, d9, [sp, #96]
	ldp x27, x28, [sp, #80]
	ldp x25, x26, [sp, #64]
	ldp x23, x24, [sp, #48]
	ldp x21, x22, [sp, #32]
	ldp x19, x20, [sp, #16]
	ldp x29, x30, [sp], #160
	ret
.endm

// q0-q31 and x0-x30 from the tables; x30 is the base, loaded last.
.macro load_all
	adrp x30, SYM(conform_in_vec)
	add x30, x30, :lo12:SYM(conform_in_vec)
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	ldr q\n, [x30, #16*\n]
	.endr
	adrp x30, SYM(conform_in_int)
	add x30, x30, :lo12:SYM(conform_in_int)
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29
	ldr x\n, [x30, #8*\n]
	.endr
	ldr x30, [x30, #240]
.endm

// Every register and SP into the tables; x0/x1 are parked on the stack
// (below the SP being recorded) while x0 is the base.
.macro store_all
	stp x0, x1, [sp, #-16]!
	adrp x0, SYM(conform_out_vec)
	add x0, x0, :lo12:SYM(conform_out_vec)
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	str q\n, [x0, #16*\n]
	.endr
	adrp x0, SYM(conform_out_int)
	add x0, x0, :lo12:SYM(conform_out_int)
	.irp n, 2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29
	str x\n, [x0, #8*\n]
	.endr
	str x30, [x0, #240]
	ldp x2, x3, [sp], #16
	stp x2, x3, [x0]
	mov x2, sp
	str x2, [x0, #248]                // slot 31: sp
	adrp x0, SYM(conform_out_sp)
	str x2, [x0, :lo12:SYM(conform_out_sp)]
.endm

// conform_call_entry(void): calls the entry through x9 (C put its address in
// x9's slot: x9 is a temporary in every AArch64 convention), SP 16-byte
// aligned, arguments in x0.. as C put them in the table.
	.p2align 2
	FUNC(SYM(conform_call_entry))
SYM(conform_call_entry):
	host_save
	mov x10, sp
	and x10, x10, #~15
	mov sp, x10
	adrp x9, SYM(conform_sp_before)
	str x10, [x9, :lo12:SYM(conform_sp_before)]
	load_all
	blr x9
	store_all
	host_restore_return
	END(SYM(conform_call_entry))

// A plain branch: x30 keeps its canary, so the target can see whether
// sigresume left it alone.
	.p2align 2
	FUNC(SYM(conform_sigresume_run))
SYM(conform_sigresume_run):
	host_save
	load_all
	b SYM(trampgen_sigresume)
	END(SYM(conform_sigresume_run))

	.p2align 2
	FUNC(SYM(conform_resume_target))
SYM(conform_resume_target):
	store_all
	host_restore_return
	END(SYM(conform_resume_target))

// The clobber-all dispatcher: keeps only its return address (x30, on its
// stack), overwrites x0-x29 (x29 and x19-x28 included; x18 too except on
// Windows, where it is the TEB pointer no code may change) and all 128 bits
// of v0-v31.
	.p2align 2
	FUNC(SYM(trampgen_windows_dispatch))
	FUNC(SYM(trampgen_posix_dispatch))
SYM(trampgen_windows_dispatch):
SYM(trampgen_posix_dispatch):
	str x30, [sp, #-16]!
	adrp x9, SYM(conform_disp_args)
	add x9, x9, :lo12:SYM(conform_disp_args)
	stp x0, x1, [x9]
	stp x2, x3, [x9, #16]
	adrp x9, SYM(conform_disp_sp)
	add x10, sp, #16
	str x10, [x9, :lo12:SYM(conform_disp_sp)]
	adrp x9, SYM(conform_disp_count)
	ldr x10, [x9, :lo12:SYM(conform_disp_count)]
	add x10, x10, #1
	str x10, [x9, :lo12:SYM(conform_disp_count)]
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,19,20,21,22,23,24,25,26,27,28,29,30
	mov x\n, #0xD15E
	.endr
#ifndef CONFORM_WINDOWS
	mov x18, #0xD15E
#endif
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	movi v\n\().16b, #0xD1
	.endr
	movz x0, #0xAB1E
	movk x0, #0x7E57, lsl #16
	ldr x30, [sp], #16
	ret
	END(SYM(trampgen_posix_dispatch))

// ---------------------------------------------------------------------------
#elif defined(__arm__)
	.syntax unified
	.thumb
#ifdef __ELF__
	.fpu vfpv3-d16
#endif

.macro host_save
	push {r4-r12, lr}                 // 40 bytes: SP stays 8-byte aligned
	vpush {d8-d15}
	ldr r0, =SYM(conform_host_sp)
	str sp, [r0]
.endm

.macro host_restore_return
	ldr r0, =SYM(conform_host_sp)
	ldr r0, [r0]
	mov sp, r0
	vpop {d8-d15}
	pop {r4-r12, pc}
.endm

// d0-d15 and r0-r12, lr from the tables; lr is the base, loaded last.
.macro load_all
	ldr lr, =SYM(conform_in_vec)
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	vldr d\n, [lr, #16*\n]
	.endr
	ldr lr, =SYM(conform_in_int)
	ldm lr, {r0-r12}
	ldr lr, [lr, #56]
.endm

.macro store_all
	push {r0, r1}
	ldr r0, =SYM(conform_out_vec)
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	vstr d\n, [r0, #16*\n]
	.endr
	ldr r0, =SYM(conform_out_int)
	.irp n, 2,3,4,5,6,7,8,9,10,11,12
	str r\n, [r0, #4*\n]
	.endr
	str lr, [r0, #56]
	pop {r1, r2}                      // the original r0, r1
	str r1, [r0, #0]
	str r2, [r0, #4]
	str sp, [r0, #52]
	ldr r0, =SYM(conform_out_sp)
	str sp, [r0]
.endm

// conform_call_entry(void): calls the entry through r12 (ip, a temporary in
// AAPCS; C put the entry's Thumb address in r12's slot).
	.p2align 2
	FUNC(SYM(conform_call_entry))
	.thumb_func
SYM(conform_call_entry):
	host_save
	mov r0, sp
	bic r0, r0, #15
	mov sp, r0
	ldr r1, =SYM(conform_sp_before)
	str r0, [r1]
	load_all
	blx r12
	store_all
	host_restore_return
	.ltorg
	END(SYM(conform_call_entry))

	.p2align 2
	FUNC(SYM(conform_sigresume_run))
	.thumb_func
SYM(conform_sigresume_run):
	host_save
	load_all
	b.w SYM(trampgen_sigresume)
	.ltorg
	END(SYM(conform_sigresume_run))

	.p2align 2
	FUNC(SYM(conform_resume_target))
	.thumb_func
SYM(conform_resume_target):
	store_all
	host_restore_return
	.ltorg
	END(SYM(conform_resume_target))

// The clobber-all dispatcher: its return address stays on its stack; r0-r12
// (r4-r11 included) and lr, and d0-d15, are overwritten.
	.p2align 2
	FUNC(SYM(trampgen_windows_dispatch))
	FUNC(SYM(trampgen_posix_dispatch))
	.thumb_func
SYM(trampgen_windows_dispatch):
	.thumb_func
SYM(trampgen_posix_dispatch):
	push {r4, lr}
	ldr r4, =SYM(conform_disp_args)
	stm r4, {r0-r3}
	ldr r4, =SYM(conform_disp_sp)
	add r0, sp, #8
	str r0, [r4]
	ldr r4, =SYM(conform_disp_count)
	ldr r0, [r4]
	adds r0, r0, #1
	str r0, [r4]
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,14
	movw r\n, #0xD15E
	.endr
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	vmov.f64 d\n, #-1.5
	.endr
	movw r0, #0xAB1E
	movt r0, #0x7E57
	pop {r1, pc}                      // r4's slot into r1: r4 stays clobbered
	.ltorg
	END(SYM(trampgen_posix_dispatch))

// ---------------------------------------------------------------------------
#elif defined(__riscv) && __riscv_xlen == 64

// ra, s0-s11, fs0-fs11: what the psABI makes this function keep for its C caller.
.macro host_save
	addi sp, sp, -208
	sd ra, 0(sp)
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11
	sd s\n, 8+8*\n(sp)
	fsd fs\n, 104+8*\n(sp)
	.endr
	lla t0, SYM(conform_host_sp)
	sd sp, 0(t0)
.endm

.macro host_restore_return
	lla t0, SYM(conform_host_sp)
	ld sp, 0(t0)
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11
	ld s\n, 8+8*\n(sp)
	fld fs\n, 104+8*\n(sp)
	.endr
	ld ra, 0(sp)
	addi sp, sp, 208
	ret
.endm

// f0-f31 and x1, x5-x31 from the tables; ra (x1) is the base, loaded last.
// zero, sp, gp and tp are not loaded: gp and tp belong to the runtime (the
// linker relaxes addressing against gp, TLS lives at tp), so their slots get
// their real values, which must come back just the same.
.macro load_all
	lla ra, SYM(conform_in_int)
	sd gp, 24(ra)
	sd tp, 32(ra)
	lla ra, SYM(conform_in_vec)
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	fld f\n, 16*\n(ra)
	.endr
	lla ra, SYM(conform_in_int)
	.irp n, 5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	ld x\n, 8*\n(ra)
	.endr
	ld ra, 8(ra)
.endm

// t0 is parked just below SP while it is the base.
.macro store_all
	sd t0, -8(sp)
	lla t0, SYM(conform_out_vec)
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	fsd f\n, 16*\n(t0)
	.endr
	lla t0, SYM(conform_out_int)
	.irp n, 0,1,2,3,4,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	sd x\n, 8*\n(t0)
	.endr
	ld t1, -8(sp)
	sd t1, 40(t0)
	lla t0, SYM(conform_out_sp)
	sd sp, 0(t0)
.endm

// conform_call_entry(void): calls the entry through t2 (a temporary in the
// psABI; C put the entry's address in t2's slot).
	.p2align 2
	FUNC(SYM(conform_call_entry))
SYM(conform_call_entry):
	host_save
	andi sp, sp, -16
	lla t0, SYM(conform_sp_before)
	sd sp, 0(t0)
	load_all
	jalr t2
	store_all
	host_restore_return
	END(SYM(conform_call_entry))

// jal x0 (`j`): writes no register; `tail` would overwrite t1.
	.p2align 2
	FUNC(SYM(conform_sigresume_run))
SYM(conform_sigresume_run):
	host_save
	load_all
	j SYM(trampgen_sigresume)
	END(SYM(conform_sigresume_run))

	.p2align 2
	FUNC(SYM(conform_resume_target))
SYM(conform_resume_target):
	store_all
	host_restore_return
	END(SYM(conform_resume_target))

// The clobber-all dispatcher: its return address stays on its stack; every
// integer register but zero, sp, gp, tp (s0-s11 included) and f0-f31 are
// overwritten.
	.p2align 2
	FUNC(SYM(trampgen_windows_dispatch))
	FUNC(SYM(trampgen_posix_dispatch))
SYM(trampgen_windows_dispatch):
SYM(trampgen_posix_dispatch):
	addi sp, sp, -16
	sd ra, 0(sp)
	lla t0, SYM(conform_disp_args)
	sd a0, 0(t0)
	sd a1, 8(t0)
	sd a2, 16(t0)
	sd a3, 24(t0)
	lla t0, SYM(conform_disp_sp)
	addi t1, sp, 16
	sd t1, 0(t0)
	lla t0, SYM(conform_disp_count)
	ld t1, 0(t0)
	addi t1, t1, 1
	sd t1, 0(t0)
	li t0, 0xD15EA5EDD15EA5ED
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	fmv.d.x f\n, t0
	.endr
	.irp n, 1,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	li x\n, 0xD15E
	.endr
	ld ra, 0(sp)
	addi sp, sp, 16
	li a0, 0x7E57AB1E
	ret
	END(SYM(trampgen_posix_dispatch))

#else
#error "conform.S: no conformance helpers for this ISA"
#endif

#ifdef __ELF__
	.section .note.GNU-stack,"",%progbits
#endif
