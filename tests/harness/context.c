/*
 * Linux ucontext_t <-> Windows CONTEXT (the mirrors in context.h), one
 * block per ISA. Runs inside the harness's signal handler: no calls but
 * memset/memcpy.
 */
#define _GNU_SOURCE
#include "context.h"
#include "harness.h"

#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <ucontext.h>

#include "trampgen_target.h"

/* The generated stubs address the CONTEXT through offsets from the spec;
   the harness must hand them a record of exactly that size. */
_Static_assert(sizeof(harness_context) == TRAMPGEN_CONTEXT_SIZE,
               "CONTEXT mirror and TRAMPGEN_CONTEXT_SIZE disagree");

#if defined(__x86_64__)

_Static_assert(offsetof(harness_context, Rip) == 248 && offsetof(harness_context, Rsp) == 152, "amd64 mirror");

void context_from_ucontext(void *ctx_, const ucontext_t *uc)
{
	harness_context *c = ctx_;
	const greg_t *g = uc->uc_mcontext.gregs;
	uint64_t csgsfs = (uint64_t)g[REG_CSGSFS];

	memset(c, 0, sizeof *c);
	c->ContextFlags = HARNESS_CONTEXT_FULL;
	c->Rax = (uint64_t)g[REG_RAX]; c->Rcx = (uint64_t)g[REG_RCX];
	c->Rdx = (uint64_t)g[REG_RDX]; c->Rbx = (uint64_t)g[REG_RBX];
	c->Rsp = (uint64_t)g[REG_RSP]; c->Rbp = (uint64_t)g[REG_RBP];
	c->Rsi = (uint64_t)g[REG_RSI]; c->Rdi = (uint64_t)g[REG_RDI];
	c->R8 = (uint64_t)g[REG_R8];   c->R9 = (uint64_t)g[REG_R9];
	c->R10 = (uint64_t)g[REG_R10]; c->R11 = (uint64_t)g[REG_R11];
	c->R12 = (uint64_t)g[REG_R12]; c->R13 = (uint64_t)g[REG_R13];
	c->R14 = (uint64_t)g[REG_R14]; c->R15 = (uint64_t)g[REG_R15];
	c->Rip = (uint64_t)g[REG_RIP];
	c->EFlags = (uint32_t)g[REG_EFL];
	/* sigcontext packs cs, gs, fs, ss into one word; ds and es are not saved. */
	c->SegCs = (uint16_t)csgsfs;
	c->SegGs = (uint16_t)(csgsfs >> 16);
	c->SegFs = (uint16_t)(csgsfs >> 32);
	c->SegSs = (uint16_t)(csgsfs >> 48);
	if (uc->uc_mcontext.fpregs != NULL) {
		/* Both are the 512-byte FXSAVE image. */
		memcpy(c->FltSave, uc->uc_mcontext.fpregs, sizeof c->FltSave);
		c->MxCsr = uc->uc_mcontext.fpregs->mxcsr;
	} else {
		c->ContextFlags &= ~0x8u;    /* no CONTEXT_FLOATING_POINT part */
	}
}

void context_to_ucontext(const void *ctx_, ucontext_t *uc)
{
	const harness_context *c = ctx_;
	greg_t *g = uc->uc_mcontext.gregs;

	g[REG_RAX] = (greg_t)c->Rax; g[REG_RCX] = (greg_t)c->Rcx;
	g[REG_RDX] = (greg_t)c->Rdx; g[REG_RBX] = (greg_t)c->Rbx;
	g[REG_RSP] = (greg_t)c->Rsp; g[REG_RBP] = (greg_t)c->Rbp;
	g[REG_RSI] = (greg_t)c->Rsi; g[REG_RDI] = (greg_t)c->Rdi;
	g[REG_R8] = (greg_t)c->R8;   g[REG_R9] = (greg_t)c->R9;
	g[REG_R10] = (greg_t)c->R10; g[REG_R11] = (greg_t)c->R11;
	g[REG_R12] = (greg_t)c->R12; g[REG_R13] = (greg_t)c->R13;
	g[REG_R14] = (greg_t)c->R14; g[REG_R15] = (greg_t)c->R15;
	g[REG_RIP] = (greg_t)c->Rip;
	g[REG_EFL] = (greg_t)c->EFlags;
	/* Segment selectors are not written back: a Windows handler has no
	   business changing them, and Linux's differ from Windows' anyway. */
	if (uc->uc_mcontext.fpregs != NULL && (c->ContextFlags & 0x8u)) {
		memcpy(uc->uc_mcontext.fpregs, c->FltSave, sizeof c->FltSave);
		uc->uc_mcontext.fpregs->mxcsr = c->MxCsr;
	}
}

int context_access_kind(const ucontext_t *uc)
{
	/* Page-fault error code: bit 1 write, bit 4 instruction fetch. Only
	   meaningful when the trap was a page fault (#PF, 14). */
	const greg_t *g = uc->uc_mcontext.gregs;

	if (g[REG_TRAPNO] != 14)
		return -1;
	if (g[REG_ERR] & 0x10)
		return 8;
	return (g[REG_ERR] & 0x2) ? 1 : 0;
}

#elif defined(__i386__)

_Static_assert(offsetof(harness_context, Eip) == 184 && offsetof(harness_context, Esp) == 196, "x86 mirror");

void context_from_ucontext(void *ctx_, const ucontext_t *uc)
{
	harness_context *c = ctx_;
	const greg_t *g = uc->uc_mcontext.gregs;

	memset(c, 0, sizeof *c);
	c->ContextFlags = HARNESS_CONTEXT_FULL;
	c->Edi = (uint32_t)g[REG_EDI]; c->Esi = (uint32_t)g[REG_ESI];
	c->Ebx = (uint32_t)g[REG_EBX]; c->Edx = (uint32_t)g[REG_EDX];
	c->Ecx = (uint32_t)g[REG_ECX]; c->Eax = (uint32_t)g[REG_EAX];
	c->Ebp = (uint32_t)g[REG_EBP]; c->Eip = (uint32_t)g[REG_EIP];
	/* REG_ESP is what sigreturn restores (REG_UESP is informational). */
	c->Esp = (uint32_t)g[REG_ESP];
	c->EFlags = (uint32_t)g[REG_EFL];
	c->SegCs = (uint32_t)g[REG_CS] & 0xffff; c->SegSs = (uint32_t)g[REG_SS] & 0xffff;
	c->SegDs = (uint32_t)g[REG_DS] & 0xffff; c->SegEs = (uint32_t)g[REG_ES] & 0xffff;
	c->SegFs = (uint32_t)g[REG_FS] & 0xffff; c->SegGs = (uint32_t)g[REG_GS] & 0xffff;
	/* CONTEXT_FULL on x86 has no floating-point part: FloatSave and
	   ExtendedRegisters stay zero and are not written back. */
}

void context_to_ucontext(const void *ctx_, ucontext_t *uc)
{
	const harness_context *c = ctx_;
	greg_t *g = uc->uc_mcontext.gregs;

	g[REG_EDI] = (greg_t)c->Edi; g[REG_ESI] = (greg_t)c->Esi;
	g[REG_EBX] = (greg_t)c->Ebx; g[REG_EDX] = (greg_t)c->Edx;
	g[REG_ECX] = (greg_t)c->Ecx; g[REG_EAX] = (greg_t)c->Eax;
	g[REG_EBP] = (greg_t)c->Ebp; g[REG_EIP] = (greg_t)c->Eip;
	g[REG_ESP] = (greg_t)c->Esp;
	g[REG_EFL] = (greg_t)c->EFlags;
	/* Segment selectors: see the amd64 block. */
}

int context_access_kind(const ucontext_t *uc)
{
	const greg_t *g = uc->uc_mcontext.gregs;

	if (g[REG_TRAPNO] != 14)
		return -1;
	if (g[REG_ERR] & 0x10)
		return 8;
	return (g[REG_ERR] & 0x2) ? 1 : 0;
}

#elif defined(__aarch64__)

#include <asm/sigcontext.h>

_Static_assert(offsetof(harness_context, Pc) == 264 && offsetof(harness_context, X[16]) == 136, "arm64 mirror");

/* A record in uc_mcontext.__reserved (asm/sigcontext.h), or NULL. */
static const struct _aarch64_ctx *find_record(const ucontext_t *uc, uint32_t magic)
{
	const unsigned char *p = (const unsigned char *)uc->uc_mcontext.__reserved;
	const unsigned char *end = p + sizeof uc->uc_mcontext.__reserved;

	while (p + sizeof(struct _aarch64_ctx) <= end) {
		const struct _aarch64_ctx *h = (const struct _aarch64_ctx *)p;
		if (h->magic == 0 || h->size < sizeof *h || h->size > (size_t)(end - p))
			return NULL;
		if (h->magic == magic)
			return h;
		p += h->size;
	}
	return NULL;
}

void context_from_ucontext(void *ctx_, const ucontext_t *uc)
{
	harness_context *c = ctx_;
	const mcontext_t *m = &uc->uc_mcontext;
	const struct fpsimd_context *fp;

	memset(c, 0, sizeof *c);
	c->ContextFlags = HARNESS_CONTEXT_FULL;
	for (int i = 0; i < 29; i++)
		c->X[i] = m->regs[i];
	c->Fp = m->regs[29];
	c->Lr = m->regs[30];
	c->Sp = m->sp;
	c->Pc = m->pc;
	c->Cpsr = (uint32_t)m->pstate;
	fp = (const struct fpsimd_context *)find_record(uc, FPSIMD_MAGIC);
	if (fp != NULL) {
		c->ContextFlags |= HARNESS_CONTEXT_FLOATING_POINT;
		memcpy(c->V, fp->vregs, sizeof c->V);
		c->Fpcr = fp->fpcr;
		c->Fpsr = fp->fpsr;
	}
}

void context_to_ucontext(const void *ctx_, ucontext_t *uc)
{
	const harness_context *c = ctx_;
	mcontext_t *m = &uc->uc_mcontext;
	struct fpsimd_context *fp;

	for (int i = 0; i < 29; i++)
		m->regs[i] = c->X[i];
	m->regs[29] = c->Fp;
	m->regs[30] = c->Lr;
	m->sp = c->Sp;
	m->pc = c->Pc;
	m->pstate = c->Cpsr;
	fp = (struct fpsimd_context *)find_record(uc, FPSIMD_MAGIC);
	if (fp != NULL && (c->ContextFlags & HARNESS_CONTEXT_FLOATING_POINT) == HARNESS_CONTEXT_FLOATING_POINT) {
		memcpy(fp->vregs, c->V, sizeof c->V);
		fp->fpcr = c->Fpcr;
		fp->fpsr = c->Fpsr;
	}
}

int context_access_kind(const ucontext_t *uc)
{
	const struct esr_context *e = (const struct esr_context *)find_record(uc, ESR_MAGIC);
	unsigned ec;

	if (e == NULL)
		return -1;
	ec = (unsigned)(e->esr >> 26) & 0x3f;
	if (ec == 0x20 || ec == 0x21)           /* instruction abort */
		return 8;
	if (ec == 0x24 || ec == 0x25)           /* data abort: WnR is bit 6 */
		return (e->esr & (1u << 6)) ? 1 : 0;
	return -1;
}

#elif defined(__arm__)

_Static_assert(offsetof(harness_context, Pc) == 64 && offsetof(harness_context, R[2]) == 12, "arm mirror");

/* The VFP record in uc_regspace (arch/arm/include/asm/ucontext.h). */
#define VFP_MAGIC 0x56465001u
struct vfp_record {
	uint32_t magic, size;
	uint64_t fpregs[32];
	uint32_t fpscr;
};

static struct vfp_record *find_vfp(const ucontext_t *uc)
{
	const unsigned char *p = (const unsigned char *)uc->uc_regspace;
	const unsigned char *end = p + sizeof uc->uc_regspace;

	while (p + 8 <= end) {
		uint32_t magic, size;
		memcpy(&magic, p, 4);
		memcpy(&size, p + 4, 4);
		if (magic == 0 || size < 8 || size > (size_t)(end - p))
			return NULL;
		if (magic == VFP_MAGIC)
			return (struct vfp_record *)(uintptr_t)p;
		p += size;
	}
	return NULL;
}

void context_from_ucontext(void *ctx_, const ucontext_t *uc)
{
	harness_context *c = ctx_;
	const mcontext_t *m = &uc->uc_mcontext;
	const struct vfp_record *vfp = find_vfp(uc);

	memset(c, 0, sizeof *c);
	c->R[0] = m->arm_r0; c->R[1] = m->arm_r1; c->R[2] = m->arm_r2; c->R[3] = m->arm_r3;
	c->R[4] = m->arm_r4; c->R[5] = m->arm_r5; c->R[6] = m->arm_r6; c->R[7] = m->arm_r7;
	c->R[8] = m->arm_r8; c->R[9] = m->arm_r9; c->R[10] = m->arm_r10;
	c->R[11] = m->arm_fp; c->R[12] = m->arm_ip;
	c->Sp = m->arm_sp;
	c->Lr = m->arm_lr;
	/* Both keep the PC untagged and the Thumb state in CPSR.T. */
	c->Pc = m->arm_pc;
	c->Cpsr = m->arm_cpsr;
	if (vfp != NULL) {
		c->ContextFlags = HARNESS_CONTEXT_FULL;
		memcpy(c->D, vfp->fpregs, sizeof c->D);
		c->Fpscr = vfp->fpscr;
	} else {
		c->ContextFlags = HARNESS_CONTEXT_CONTROL_INTEGER;
	}
}

void context_to_ucontext(const void *ctx_, ucontext_t *uc)
{
	const harness_context *c = ctx_;
	mcontext_t *m = &uc->uc_mcontext;
	struct vfp_record *vfp = find_vfp(uc);

	m->arm_r0 = c->R[0]; m->arm_r1 = c->R[1]; m->arm_r2 = c->R[2]; m->arm_r3 = c->R[3];
	m->arm_r4 = c->R[4]; m->arm_r5 = c->R[5]; m->arm_r6 = c->R[6]; m->arm_r7 = c->R[7];
	m->arm_r8 = c->R[8]; m->arm_r9 = c->R[9]; m->arm_r10 = c->R[10];
	m->arm_fp = c->R[11]; m->arm_ip = c->R[12];
	m->arm_sp = c->Sp;
	m->arm_lr = c->Lr;
	m->arm_pc = c->Pc;
	m->arm_cpsr = c->Cpsr;
	if (vfp != NULL && c->ContextFlags == HARNESS_CONTEXT_FULL) {
		memcpy(vfp->fpregs, c->D, sizeof c->D);
		vfp->fpscr = c->Fpscr;
	}
}

int context_access_kind(const ucontext_t *uc)
{
	/* The fault status register the kernel reports: WnR is bit 11. qemu-user
	   reports 0 here, so reads and writes look alike there. */
	if (uc->uc_mcontext.trap_no != 14)
		return -1;
	return (uc->uc_mcontext.error_code & (1u << 11)) ? 1 : 0;
}

#endif
