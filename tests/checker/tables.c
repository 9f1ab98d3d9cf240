/* Loading the two data inputs: the target model (written by model.py from
 * spec/) and the ISA table (model.py --table, from spec/semantics/). Both are plain
 * text, one fact per line, so a reviewer can read exactly what the checker
 * believes. Any line the loader does not understand is an error: a checker
 * that silently ignored part of its knowledge would pass things it should not.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checker.h"

#define MAXTOK 160

/* Split a line on whitespace, in place. `#` starts a comment only at the
 * start of a token, so idiom text such as "#{offset}" survives in the model
 * (the model's idiom lines are taken verbatim before splitting anyway). */
static int split(char *line, char **tok, int max)
{
    int n = 0;
    char *p = line;
    while (*p) {
        while (*p && isspace((unsigned char)*p))
            p++;
        if (!*p || *p == '#')
            break;
        if (n == max)
            return -1;
        tok[n++] = p;
        while (*p && !isspace((unsigned char)*p))
            p++;
        if (*p)
            *p++ = 0;
    }
    return n;
}

static void copy(char *dst, const char *src, size_t n)
{
    snprintf(dst, n, "%s", src);
}

int model_reg(const Model *m, const char *name)
{
    for (int i = 0; i < m->nregs; i++)
        if (strcmp(m->regs[i].name, name) == 0)
            return i;
    return -1;
}

static int need_reg(const Model *m, const char *where, int line, const char *name)
{
    int r = model_reg(m, name);
    if (r < 0)
        fprintf(stderr, "trampgen_check: %s:%d: %s is not a register of the model\n", where, line, name);
    return r;
}

int load_model(const char *path, Model *m)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return -1;
    }
    memset(m, 0, sizeof *m);
    m->sp = m->pc = m->lr = m->kind = m->ret = m->entry_address = -1;
    m->scratch[0] = m->scratch[1] = -1;
    /* Register lists come first in the file only by convention; resolve the
     * role lines after every `regs` line is read. */
    char lines[256][1024];
    int nl = 0, bad = 0;
    char buf[1024];
    while (fgets(buf, sizeof buf, f) && nl < 256) {
        buf[strcspn(buf, "\n")] = 0;
        copy(lines[nl++], buf, sizeof lines[0]);
    }
    fclose(f);
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < nl; i++) {
            char line[1024];
            copy(line, lines[i], sizeof line);
            if (strncmp(line, "idiom ", 6) == 0) {
                if (pass == 1 && m->nidioms < 48) {
                    char *key = line + 6, *text = strchr(key, ' ');
                    if (text)
                        *text++ = 0;
                    copy(m->idioms[m->nidioms].key, key, NAMELEN);
                    copy(m->idioms[m->nidioms].text, text ? text : "", TEXTLEN);
                    m->nidioms++;
                }
                continue;
            }
            char *t[MAXTOK];
            int n = split(line, t, MAXTOK);
            if (n <= 0)
                continue;
            if (pass == 0) {
                if (strcmp(t[0], "regs") == 0 && n >= 3) {
                    for (int k = 3; k < n && m->nregs < MAXREG; k++) {
                        Reg *r = &m->regs[m->nregs++];
                        copy(r->name, t[k], NAMELEN);
                        copy(r->cls, t[1], NAMELEN);
                        r->width = atoi(t[2]);
                    }
                }
                continue;
            }
#define INT(key, field) else if (strcmp(t[0], key) == 0 && n == 2) m->field = atoi(t[1]);
#define REG(key, field) else if (strcmp(t[0], key) == 0 && n == 2) \
    { m->field = strcmp(t[1], "-") ? need_reg(m, path, i + 1, t[1]) : -1; bad |= strcmp(t[1], "-") && m->field < 0; }
            if (strcmp(t[0], "regs") == 0)
                ;
            else if (strcmp(t[0], "target") == 0 && n == 2)
                copy(m->target, t[1], NAMELEN);
            else if (strcmp(t[0], "isa") == 0 && n == 2)
                copy(m->isa, t[1], NAMELEN);
            else if (strcmp(t[0], "register_prefix") == 0 && n == 2 && strlen(t[1]) == 1)
                m->prefix = strcmp(t[1], "-") ? t[1][0] : 0;
            else if (strcmp(t[0], "dispatcher") == 0 && n == 2)
                copy(m->dispatcher, t[1], NAMELEN);
            INT("word", word) INT("align", align) INT("shadow", shadow) INT("outgoing", outgoing)
            INT("handler_pops", handler_pops) INT("handler_args", handler_args)
            INT("call_pushes", call_pushes) INT("stack_bias", stack_bias)
            REG("sp", sp) REG("pc", pc) REG("lr", lr) REG("kind", kind) REG("return", ret)
            REG("entry_address", entry_address)
            else if (strcmp(t[0], "args") == 0) {
                for (int k = 1; k < n && m->nargs < 32; k++)
                    bad |= (m->args[m->nargs++] = need_reg(m, path, i + 1, t[k])) < 0;
            } else if (strcmp(t[0], "preserved") == 0 || strcmp(t[0], "reserved") == 0) {
                regset *s = t[0][0] == 'p' ? &m->preserved : &m->reserved;
                for (int k = 1; k < n; k++) {
                    int r = need_reg(m, path, i + 1, t[k]);
                    if (r < 0)
                        bad = 1;
                    else
                        rs_add(s, r);
                }
            } else if (strcmp(t[0], "scratch") == 0 && n == 3) {
                for (int k = 0; k < 2; k++)
                    bad |= (m->scratch[k] = need_reg(m, path, i + 1, t[k + 1])) < 0;
            } else if (strcmp(t[0], "entry") == 0 && n == 3 && m->nentries < 16) {
                copy(m->entries[m->nentries].name, t[1], NAMELEN);
                m->entries[m->nentries++].value = strtol(t[2], NULL, 0);
            } else {
                fprintf(stderr, "trampgen_check: %s:%d: unknown model line: %s\n", path, i + 1, lines[i]);
                bad = 1;
            }
#undef INT
#undef REG
        }
    }
    if (!bad && (m->sp < 0 || m->scratch[1] < 0 || m->kind < 0 || !m->word || !m->align || !m->nentries)) {
        fprintf(stderr, "trampgen_check: %s: incomplete model (sp, scratch, kind, word, align, entry)\n", path);
        bad = 1;
    }
    return bad ? -1 : 0;
}

/* The preserved-register override: one name per line (`#` comments). It
 * replaces the spec's callee-saved lists, so that a result measured from a
 * compiler (tests/oracle/) can judge the spec instead of the spec judging
 * itself. */
int load_preserved(const char *path, Model *m)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return -1;
    }
    memset(&m->preserved, 0, sizeof m->preserved);
    char buf[256];
    int line = 0, bad = 0;
    while (fgets(buf, sizeof buf, f)) {
        line++;
        char *t[4];
        int n = split(buf, t, 4);
        if (n == 0)
            continue;
        int r = n == 1 ? need_reg(m, path, line, t[0]) : -1;
        if (r < 0)
            bad = 1;
        else
            rs_add(&m->preserved, r);
    }
    fclose(f);
    return bad ? -1 : 0;
}

static int parse_regs(const Model *m, const char *where, int line, char *list, regset *s)
{
    int bad = 0;
    for (char *r = strtok(list, ","); r; r = strtok(NULL, ",")) {
        int k = need_reg(m, where, line, r);
        if (k < 0)
            bad = 1;
        else
            rs_add(s, k);
    }
    return bad;
}

int load_isa(const char *path, const Model *m, Isa *isa)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return -1;
    }
    memset(isa, 0, sizeof *isa);
    copy(isa->path, path, sizeof isa->path);
    isa->sp = isa->pc = isa->link = -1;
    char buf[1024];
    int line = 0, bad = 0;
    while (fgets(buf, sizeof buf, f)) {
        line++;
        char *t[MAXTOK];
        int n = split(buf, t, MAXTOK);
        if (n == 0)
            continue;
        int opt = n == 2 && strcmp(t[1], "-") == 0;   /* "pc -": not an operand */
        if (strcmp(t[0], "source") == 0 && n == 2)   /* the spec file it was rendered from */
            copy(isa->path, t[1], sizeof isa->path);
        else if (strcmp(t[0], "sp") == 0 && n == 2)
            bad |= (isa->sp = need_reg(m, path, line, t[1])) < 0;
        else if (strcmp(t[0], "pc") == 0 && n == 2)
            bad |= !opt && (isa->pc = need_reg(m, path, line, t[1])) < 0;
        else if (strcmp(t[0], "link") == 0 && n == 2)
            bad |= !opt && (isa->link = need_reg(m, path, line, t[1])) < 0;
        else if (strcmp(t[0], "call_pushes") == 0 && n == 2)
            isa->call_pushes = strcmp(t[1], "yes") == 0;
        else if (strcmp(t[0], "address_relocations") == 0) {
            for (int k = 1; k < n && isa->naddr_relocs < 8; k++)
                copy(isa->addr_relocs[isa->naddr_relocs++], t[k], NAMELEN);
        } else if (strcmp(t[0], "zero") == 0) {
            for (int k = 1; k < n && isa->nzero < 8; k++)
                copy(isa->zero[isa->nzero++], t[k], NAMELEN);
        } else if (strcmp(t[0], "alias") == 0 && (n == 3 || n == 4) && isa->naliases < 512) {
            /* One name per line: gen/semantics.py expands spec/semantics' NAME{a..b} patterns. */
            int r = need_reg(m, path, line, t[2]);
            if (r < 0) {
                bad = 1;
                continue;
            }
            Alias *a = &isa->aliases[isa->naliases++];
            copy(a->name, t[1], NAMELEN);
            a->reg = r;
            a->partial = n == 4 && strcmp(t[3], "partial") == 0;
        } else if (strcmp(t[0], "insn") == 0 && n >= 3 && isa->ninsns < 512) {
            Insn *in = &isa->insns[isa->ninsns++];
            memset(in, 0, sizeof *in);
            copy(in->mnem, t[1], NAMELEN);
            in->target = in->pops_operand = -1;
            in->line = line;
            if (strcmp(t[2], "-") != 0) {
                for (char *r = strtok(t[2], ","); r && in->nops < 6; r = strtok(NULL, ",")) {
                    unsigned char role = 0;
                    for (char *c = r; *c; c++)
                        role |= *c == 'r' ? ROLE_R : *c == 'w' ? ROLE_W : *c == 't' ? ROLE_T
                              : *c == 'a' ? ROLE_A : *c == 'i' ? ROLE_R : 0x80;
                    if (role & 0x80) {
                        fprintf(stderr, "trampgen_check: %s:%d: unknown operand role %s\n", path, line, r);
                        bad = 1;
                    }
                    in->roles[in->nops++] = role;
                }
            }
            for (int k = 3; k < n; k++) {
                char *eq = strchr(t[k], '=');
                if (!eq) {
                    bad = 1;
                    fprintf(stderr, "trampgen_check: %s:%d: expected key=value: %s\n", path, line, t[k]);
                    continue;
                }
                *eq++ = 0;
                if (strcmp(t[k], "flow") == 0)
                    in->flow = strcmp(eq, "jump") == 0 ? FLOW_JUMP : strcmp(eq, "call") == 0 ? FLOW_CALL
                             : strcmp(eq, "cond") == 0 ? FLOW_COND : (bad = 1, 0);
                else if (strcmp(t[k], "op") == 0)
                    in->op = strcmp(eq, "move") == 0 ? OP_MOVE : strcmp(eq, "add") == 0 ? OP_ADD
                           : strcmp(eq, "sub") == 0 ? OP_SUB : (bad = 1, 0);
                else if (strcmp(t[k], "stack") == 0)
                    in->stack = strcmp(eq, "push") == 0 ? STACK_PUSH : strcmp(eq, "pop") == 0 ? STACK_POP : (bad = 1, 0);
                else if (strcmp(t[k], "reads") == 0)
                    bad |= parse_regs(m, path, line, eq, &in->reads);
                else if (strcmp(t[k], "writes") == 0)
                    bad |= parse_regs(m, path, line, eq, &in->writes);
                else if (strcmp(t[k], "clobbers") == 0)
                    bad |= parse_regs(m, path, line, eq, &in->clobbers);
                else if (strcmp(t[k], "target") == 0)
                    bad |= (in->target = strcmp(eq, "stack") == 0 ? TARGET_STACK : need_reg(m, path, line, eq)) == -1;
                else if (strcmp(t[k], "pops") == 0)
                    in->pops_operand = atoi(eq) - 1;
                else if (strcmp(t[k], "size") == 0)
                    in->size = atoi(eq);
                else {
                    fprintf(stderr, "trampgen_check: %s:%d: unknown key %s\n", path, line, t[k]);
                    bad = 1;
                }
            }
        } else {
            fprintf(stderr, "trampgen_check: %s:%d: unknown table line\n", path, line);
            bad = 1;
        }
    }
    fclose(f);
    return bad ? -1 : 0;
}

static int same_ci(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return 0;
    return *a == *b;
}

/* A name is a register if the model (spec) lists it, or if the ISA table
 * names it as an alias (another spelling or a narrower view of a model
 * register); assemblers accept register names in any case. */
int isa_lookup_reg(const Model *m, const Isa *isa, const char *name, int *partial, int *zero)
{
    *partial = *zero = 0;
    for (int i = 0; i < isa->nzero; i++)
        if (same_ci(isa->zero[i], name)) {
            *zero = 1;
            return -1;
        }
    for (int i = 0; i < m->nregs; i++)
        if (same_ci(m->regs[i].name, name))
            return i;
    for (int i = 0; i < isa->naliases; i++)
        if (same_ci(isa->aliases[i].name, name)) {
            *partial = isa->aliases[i].partial;
            return isa->aliases[i].reg;
        }
    return -1;
}

const Insn *isa_insn(const Isa *isa, const char *mnem, int nops, int *known_mnem)
{
    *known_mnem = 0;
    for (int i = 0; i < isa->ninsns; i++)
        if (same_ci(isa->insns[i].mnem, mnem)) {
            *known_mnem = 1;
            if (isa->insns[i].nops == nops)
                return &isa->insns[i];
        }
    return NULL;
}

/* Does text match an idiom pattern, each {placeholder} standing for any
 * non-empty run? Case is ignored, and both sides have their blanks squeezed. */
static int glob(const char *p, const char *t)
{
    if (!*p)
        return !*t;
    if (*p == '{') {
        const char *close = strchr(p, '}');
        if (!close)
            return 0;
        for (const char *u = t + 1; *t && u <= t + strlen(t); u++)
            if (glob(close + 1, u))
                return 1;
        return 0;
    }
    return tolower((unsigned char)*p) == tolower((unsigned char)*t) && glob(p + 1, t + 1);
}

static void squeeze(char *dst, const char *src, size_t n)
{
    size_t o = 0;
    for (; *src && o + 1 < n; src++) {
        int blank = isspace((unsigned char)*src);
        if (blank && (o == 0 || dst[o - 1] == ' '))
            continue;
        dst[o++] = blank ? ' ' : *src;
    }
    while (o && dst[o - 1] == ' ')
        o--;
    dst[o] = 0;
}

/* Which spec idioms an instruction's text fits (an idiom may hold several
 * ';'-separated statements; any of them may match). Only for messages: it
 * tells a reviewer which line of spec/ to look at. */
const char *idiom_for(const Model *m, const char *text)
{
    static char out[512];
    char want[TEXTLEN];
    squeeze(want, text, sizeof want);
    out[0] = 0;
    for (int i = 0; i < m->nidioms; i++) {
        char all[TEXTLEN];
        snprintf(all, sizeof all, "%s", m->idioms[i].text);
        for (char *part = strtok(all, ";"); part; part = strtok(NULL, ";")) {
            char pat[TEXTLEN];
            squeeze(pat, part, sizeof pat);
            if (glob(pat, want)) {
                size_t o = strlen(out);
                snprintf(out + o, sizeof out - o, "%sidioms.%s = \"%s\"", o ? ", " : "",
                         m->idioms[i].key, m->idioms[i].text);
                break;
            }
        }
    }
    return out;
}
