/* The lexer and statement parser of trampgen_check (re2c generates the C).
 *
 * Input is a trampolines.S already run through the C preprocessor (main.c
 * does that with `cc -E`, so the checker sees exactly the instructions an ELF
 * assembler sees, macros expanded). cpp's linemarkers (`# 42 "file"`) keep
 * the line numbers of the original .S for messages.
 *
 * The lexer knows GNU as syntax only in general terms shared by the ISAs
 * spec/ describes: labels, directives, `;` statement separators, `//`
 * comments, strings, identifiers, numbers, numeric local labels (`1:`, `1f`,
 * `1b`), AT&T `%reg`, `$imm` and `*` indirection, GNU as relocation
 * operators (`%hi(sym)`), `#imm`, `[base, #off]!`, `[base + off]` and `off(base)` memory. Which
 * identifiers are registers is decided by the model's register list (from
 * spec/) and the ISA table's aliases, never by this file. Where the model
 * names a register prefix (spec/isa asm.register_prefix), a register is
 * that character and a name or number (`$name`, `$4`), and a bare name is a
 * symbol, as the assembler reads it.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checker.h"

/* T_PREG: the model's register prefix and the name or number right after it
 * (text without the prefix), joined after lexing. */
enum { T_END, T_IDENT, T_PCT, T_NUM, T_STR, T_PUNCT, T_SEMI, T_BAD, T_PREG };

typedef struct {
    int kind;
    char text[NAMELEN];
    long long num;
    const char *start, *end;    /* in the line, for statement text */
} Tok;

/* One token from *cur; the line is NUL-terminated, NUL is the sentinel. */
static int lex(const char **cur, Tok *t)
{
    const char *YYCURSOR = *cur, *YYMARKER = NULL;
    for (;;) {
        const char *s = YYCURSOR;
        t->start = s;
        /*!re2c
        re2c:define:YYCTYPE = char;
        re2c:yyfill:enable = 0;

        ws    = [ \t\r\v\f]+;
        id    = [a-zA-Z_.][a-zA-Z0-9_.$]*;
        dec   = [0-9]+;
        hex   = "0" [xX] [0-9a-fA-F]+;
        str   = "\"" ([^"\\\x00\n] | "\\" [^\x00\n])* "\"";

        "\x00"              { *cur = YYCURSOR - 1; t->kind = T_END; t->end = s; return T_END; }
        ws                  { continue; }
        "//" [^\x00]*       { *cur = YYCURSOR; t->kind = T_END; t->end = s; return T_END; }
        "/*" ([^*\x00] | "*" [^/\x00])* "*/" { continue; }
        ";"                 { t->kind = T_SEMI; break; }
        str                 { t->kind = T_STR; break; }
        "%" id              { t->kind = T_PCT; snprintf(t->text, NAMELEN, "%.*s", (int)(YYCURSOR - s - 1), s + 1); break; }
        dec [bf]            { t->kind = T_IDENT; snprintf(t->text, NAMELEN, "%.*s", (int)(YYCURSOR - s), s); break; }
        hex                 { t->kind = T_NUM; t->num = strtoll(s, NULL, 16); break; }
        dec                 { t->kind = T_NUM; t->num = strtoll(s, NULL, 10); break; }
        id                  { t->kind = T_IDENT; snprintf(t->text, NAMELEN, "%.*s", (int)(YYCURSOR - s), s); break; }
        [,[\](){}!*+\-:=$#<>&|~] { t->kind = T_PUNCT; t->text[0] = *s; t->text[1] = 0; break; }
        *                   { t->kind = T_BAD; t->text[0] = *s; t->text[1] = 0; break; }
        */
    }
    t->end = YYCURSOR;
    *cur = YYCURSOR;
    return t->kind;
}

static int is_p(const Tok *t, char c) { return t->kind == T_PUNCT && t->text[0] == c; }

typedef struct {
    const Model *m;
    const Isa *isa;
    const char *origin;
    int line;
    int errors;
} Ctx;

static void perr(Ctx *c, const char *fmt, const char *a, const char *b)
{
    fprintf(stdout, "FAIL %s:%d: ", c->origin, c->line);
    fprintf(stdout, fmt, a, b);
    fputc('\n', stdout);
    c->errors++;
}

/* Constant expressions, as an immediate may be written ("#160+8", "-208"):
 * returns 1 and the value if constant, 0 with the first symbol otherwise. */
static int expr(const Tok *t, int n, int *i, long long *v, char *sym);
static int primary(const Tok *t, int n, int *i, long long *v, char *sym)
{
    if (*i < n && (is_p(&t[*i], '-') || is_p(&t[*i], '+') || is_p(&t[*i], '~'))) {
        char op = t[(*i)++].text[0];
        int k = primary(t, n, i, v, sym);
        *v = op == '-' ? -*v : op == '~' ? ~*v : *v;
        return k;
    }
    if (*i < n && t[*i].kind == T_NUM) {
        *v = t[(*i)++].num;
        return 1;
    }
    if (*i < n && t[*i].kind == T_IDENT) {
        if (!sym[0])
            snprintf(sym, NAMELEN, "%s", t[*i].text);
        (*i)++;
        *v = 0;
        return 0;
    }
    /* A GNU as relocation operator (%hi(sym), %lo(...), nested): its value
     * is the linker's, so it is never a known constant. */
    if (*i + 1 < n && t[*i].kind == T_PCT && is_p(&t[*i + 1], '(')) {
        *i += 2;
        int k = expr(t, n, i, v, sym);
        if (k < 0 || *i >= n || !is_p(&t[*i], ')'))
            return -1;
        (*i)++;
        *v = 0;
        return 0;
    }
    if (*i < n && is_p(&t[*i], '(')) {
        (*i)++;
        int k = expr(t, n, i, v, sym);
        if (*i < n && is_p(&t[*i], ')'))
            (*i)++;
        else
            return -1;
        return k;
    }
    return -1;
}

static int expr(const Tok *t, int n, int *i, long long *v, char *sym)
{
    int k = primary(t, n, i, v, sym);
    while (k >= 0 && *i < n && (is_p(&t[*i], '+') || is_p(&t[*i], '-') || is_p(&t[*i], '*'))) {
        char op = t[(*i)++].text[0];
        long long w;
        int k2 = primary(t, n, i, &w, sym);
        if (k2 < 0)
            return -1;
        *v = op == '+' ? *v + w : op == '-' ? *v - w : *v * w;
        k = k && k2;
    }
    return k;
}

/* Is t written as a register is: prefixed where the model names a prefix,
 * else an identifier or AT&T %name. */
static int prefixed(const Ctx *c, const Tok *t)
{
    return t->kind == T_PREG || (t->kind == T_PCT && c->m->prefix == '%');
}

/* The register a token spells, or -1 (no message). A prefixed spelling is
 * looked up as the name after the prefix (the model's registers, the
 * table's aliases and zero names) and as written ("$4", a table alias). */
static int tok_reg(const Ctx *c, const Tok *t, int *partial, int *zero)
{
    *partial = *zero = 0;
    if (c->m->prefix ? !prefixed(c, t) : t->kind != T_IDENT && t->kind != T_PCT)
        return -1;
    int r = isa_lookup_reg(c->m, c->isa, t->text, partial, zero);
    if (r < 0 && !*zero && c->m->prefix) {
        char spelt[NAMELEN + 1];
        snprintf(spelt, sizeof spelt, "%c%s", c->m->prefix, t->text);
        r = isa_lookup_reg(c->m, c->isa, spelt, partial, zero);
    }
    return r;
}

static int reg_of(Ctx *c, const Tok *t, int *partial, int *zero)
{
    int r = tok_reg(c, t, partial, zero);
    char p[2] = {c->m->prefix ? c->m->prefix : '%', 0};
    if (r < 0 && !*zero && (t->kind == T_PCT || t->kind == T_PREG))
        perr(c, "%s%s is not a register of the model (spec/) or the ISA table", p, t->text);
    return r;
}

static int parse_operand(Ctx *c, const Tok *t, int n, Operand *o)
{
    memset(o, 0, sizeof *o);
    o->reg = o->base = o->index = -1;
    int i = 0, partial, zero;
    if (n > 0 && is_p(&t[0], '*')) {
        o->indirect = 1;
        i = 1;
    }
    if (i >= n) {
        perr(c, "empty operand%s%s", "", "");
        return -1;
    }
    /* With a register prefix, a bare register name is a symbol to the
     * assembler: never what the text meant. */
    for (int k = i; c->m->prefix && k < n; k++) {
        int p2, z2;
        if (t[k].kind == T_IDENT && (isa_lookup_reg(c->m, c->isa, t[k].text, &p2, &z2) >= 0 || z2)) {
            char p[2] = {c->m->prefix, 0};
            perr(c, "%s is a register written without the prefix %s: the assembler reads it as a symbol",
                 t[k].text, p);
            return -1;
        }
    }
    if (is_p(&t[i], '{')) {            /* {r4, r5-r7, lr}: a register list */
        o->type = O_LIST;
        int j = i + 1;
        while (j < n && !is_p(&t[j], '}')) {
            int r = reg_of(c, &t[j], &partial, &zero);
            if (r < 0) {
                perr(c, "register list holds something that is not a register%s%s", "", "");
                return -1;
            }
            int last = r;
            if (j + 2 < n && is_p(&t[j + 1], '-')) {      /* a range, in the model's register order */
                last = reg_of(c, &t[j + 2], &partial, &zero);
                if (last < r) {
                    perr(c, "malformed register range%s%s", "", "");
                    return -1;
                }
                j += 2;
            }
            for (int q = r; q <= last; q++)
                if (!rs_has(&o->list, q)) {
                    rs_add(&o->list, q);
                    o->nlist++;
                }
            j++;
            if (j < n && is_p(&t[j], ','))
                j++;
        }
        if (j != n - 1 || o->nlist == 0) {
            perr(c, "malformed register list%s%s", "", "");
            return -1;
        }
        return 0;
    }
    if (is_p(&t[i], '[')) {             /* [base], [base, #off], [base, index], then "!" */
        o->type = O_MEM;
        o->off_known = 1;
        i++;
        if (i < n)
            o->base = reg_of(c, &t[i++], &partial, &zero);
        if (o->base < 0) {
            perr(c, "memory operand without a base register%s%s", "", "");
            return -1;
        }
        if (i < n && (is_p(&t[i], '+') || is_p(&t[i], '-'))) {
            /* [base + off], [base - off], [base + index] */
            int p2, z2;
            int r = is_p(&t[i], '+') && i + 1 < n ? tok_reg(c, &t[i + 1], &p2, &z2) : -1;
            if (r >= 0) {
                o->index = r;
                o->off_known = 0;
                i += 2;
            } else {
                char sym[NAMELEN] = "";
                o->off_known = expr(t, n, &i, &o->off, sym) == 1;
            }
        } else if (i < n && is_p(&t[i], ',')) {
            i++;
            if (i < n && is_p(&t[i], '#'))
                i++;
            int r = i < n ? reg_of(c, &t[i], &partial, &zero) : -1;
            if (r >= 0) {
                o->index = r;
                o->off_known = 0;
                while (i < n && !is_p(&t[i], ']'))
                    i++;
            } else {
                char sym[NAMELEN] = "";
                o->off_known = expr(t, n, &i, &o->off, sym) == 1;
            }
        }
        if (i >= n || !is_p(&t[i], ']')) {
            perr(c, "malformed memory operand%s%s", "", "");
            return -1;
        }
        i++;
        if (i < n && is_p(&t[i], '!')) {
            o->writeback = 1;
            i++;
        }
        o->bracket = 1;                 /* "[base], #imm" may follow: post-index */
        return i == n ? 0 : (perr(c, "trailing tokens after a memory operand%s%s", "", ""), -1);
    }
    if (is_p(&t[i], '$') || is_p(&t[i], '#')) {
        i++;
        char sym[NAMELEN] = "";
        int k = expr(t, n, &i, &o->imm, sym);
        if (k < 0 || i != n) {
            perr(c, "malformed immediate%s%s", "", "");
            return -1;
        }
        o->type = k ? O_IMM : O_SYM;
        snprintf(o->sym, NAMELEN, "%s", sym);
        return 0;
    }
    /* off(base[, index[, scale]]): the "(" must open a register list. */
    for (int k = i; k < n; k++) {
        if (!is_p(&t[k], '('))
            continue;
        int p2, z2;
        int r = k + 1 < n ? tok_reg(c, &t[k + 1], &p2, &z2) : -1;
        if (!(k + 1 < n && (r >= 0 || (is_p(&t[k + 1], ',')))))
            continue;
        o->type = O_MEM;
        char sym[NAMELEN] = "";
        int j = i;
        o->off_known = k == i ? 1 : expr(t, k, &j, &o->off, sym) == 1 && j == k;
        if (k > i + 1 && t[i].kind == T_PCT && is_p(&t[i + 1], '(')) {
            snprintf(o->reloc, NAMELEN, "%s", t[i].text);
            snprintf(o->sym, NAMELEN, "%s", sym);
        }
        j = k + 1;
        if (!is_p(&t[j], ','))
            o->base = reg_of(c, &t[j++], &partial, &zero);
        if (j < n && is_p(&t[j], ',')) {
            j++;
            if (j < n && !is_p(&t[j], ','))
                o->index = reg_of(c, &t[j++], &partial, &zero);
            o->off_known = 0;
            while (j < n && !is_p(&t[j], ')'))
                j++;
        }
        if (j >= n || !is_p(&t[j], ')') || j + 1 != n) {
            perr(c, "malformed memory operand%s%s", "", "");
            return -1;
        }
        return 0;
    }
    /* A base register with writeback, as in `stmdb sp!, {r4, lr}`. */
    if (n - i == 2 && is_p(&t[i + 1], '!') && (t[i].kind == T_IDENT || t[i].kind == T_PCT || t[i].kind == T_PREG)) {
        int r = reg_of(c, &t[i], &partial, &zero);
        if (r >= 0) {
            o->type = O_REG;
            o->reg = r;
            o->writeback = 1;
            return 0;
        }
    }
    if (n - i == 1 && (t[i].kind == T_IDENT || t[i].kind == T_PCT || t[i].kind == T_PREG)) {
        int r = reg_of(c, &t[i], &partial, &zero);
        if (zero) {
            o->type = O_ZERO;
            return 0;
        }
        if (r >= 0) {
            o->type = O_REG;
            o->reg = r;
            o->partial = partial;
            return 0;
        }
        if (t[i].kind == T_PCT || t[i].kind == T_PREG)
            return -1;
    }
    char sym[NAMELEN] = "";
    int first = i;
    int k = expr(t, n, &i, &o->imm, sym);
    if (k < 0 || i != n) {
        perr(c, "operand not understood%s%s", "", "");
        return -1;
    }
    o->type = k ? O_IMM : O_SYM;
    o->bare = !k && n - first == 1;     /* a lone name, not an expression */
    snprintf(o->sym, NAMELEN, "%s", sym);
    return 0;
}

static Stmt *push(Program *p)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 64;
        p->s = realloc(p->s, (size_t)p->cap * sizeof *p->s);
        if (!p->s) {
            perror("realloc");
            exit(2);
        }
    }
    memset(&p->s[p->n], 0, sizeof *p->s);
    return &p->s[p->n++];
}

static void statement(Ctx *c, Program *p, Tok *t, int n)
{
    int i = 0;
    /* Labels: name ":" (possibly several, possibly followed by an instruction). */
    while (i + 1 < n && (t[i].kind == T_IDENT || t[i].kind == T_NUM) && is_p(&t[i + 1], ':')) {
        Stmt *s = push(p);
        s->line = c->line;
        if (t[i].kind == T_NUM)
            snprintf(s->label, NAMELEN, "%lld", t[i].num);
        else
            snprintf(s->label, NAMELEN, "%s", t[i].text);
        snprintf(s->text, TEXTLEN, "%s:", s->label);
        i += 2;
    }
    if (i >= n)
        return;
    if (t[i].kind != T_IDENT) {
        perr(c, "expected an instruction or directive, found '%s'%s", t[i].text, "");
        return;
    }
    if (t[i].text[0] == '.') {
        /* Directives change no register. Only .globl matters: it says which
         * labels start the functions the checks are about. */
        if ((strcmp(t[i].text, ".globl") == 0 || strcmp(t[i].text, ".global") == 0)
            && i + 1 < n && t[i + 1].kind == T_IDENT && p->nglobals < 64)
            snprintf(p->globals[p->nglobals++], NAMELEN, "%s", t[i + 1].text);
        return;
    }
    Stmt *s = push(p);
    s->line = c->line;
    for (const char *q = t[i].text; *q && (size_t)(q - t[i].text) < NAMELEN - 1; q++)
        s->mnem[q - t[i].text] = (char)tolower((unsigned char)*q);
    snprintf(s->text, TEXTLEN, "%.*s", (int)(t[n - 1].end - t[i].start), t[i].start);
    i++;
    int start = i, depth = 0;
    for (int k = i; k <= n; k++) {
        if (k < n && (is_p(&t[k], '[') || is_p(&t[k], '(') || is_p(&t[k], '{')))
            depth++;
        if (k < n && (is_p(&t[k], ']') || is_p(&t[k], ')') || is_p(&t[k], '}')))
            depth--;
        if (k == n || (depth == 0 && is_p(&t[k], ','))) {
            if (k == start && k == n && s->nops == 0)
                break;                  /* no operands */
            if (s->nops == 6) {
                perr(c, "too many operands%s%s", "", "");
                return;
            }
            Operand *o = &s->ops[s->nops];
            if (parse_operand(c, t + start, k - start, o) < 0) {
                p->n--;
                return;
            }
            /* Post-index: "[base], #imm" writes base + imm back after the access. */
            if (o->type == O_IMM && s->nops > 0 && s->ops[s->nops - 1].type == O_MEM
                && s->ops[s->nops - 1].bracket && !s->ops[s->nops - 1].writeback && k == n) {
                s->ops[s->nops - 1].writeback = 2;
                s->ops[s->nops - 1].post = o->imm;
            } else {
                s->nops++;
            }
            start = k + 1;
        }
    }
}

int parse_asm(FILE *f, const char *origin, const Model *m, const Isa *isa, Program *p)
{
    Ctx c = {m, isa, origin, 0, 0};
    static char buf[1 << 16];
    int in_origin = 1;
    const char *base = strrchr(origin, '/') ? strrchr(origin, '/') + 1 : origin;
    while (fgets(buf, sizeof buf, f)) {
        buf[strcspn(buf, "\n")] = 0;
        int ln;
        char file[512];
        if (sscanf(buf, "# %d \"%511[^\"]\"", &ln, file) == 2) {
            /* cpp linemarker: the next line is line ln of file. */
            const char *fb = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
            in_origin = strcmp(fb, base) == 0;
            c.line = ln - 1;
            continue;
        }
        c.line++;
        if (!in_origin)
            continue;
        const char *cur = buf;
        Tok toks[256];
        int n = 0;
        for (;;) {
            Tok t;
            int k = lex(&cur, &t);
            if (k == T_BAD) {
                perr(&c, "unexpected character '%s'%s", t.text, "");
                continue;
            }
            if (k == T_END || k == T_SEMI) {
                if (n)
                    statement(&c, p, toks, n);
                n = 0;
                if (k == T_END)
                    break;
                continue;
            }
            /* The register prefix and the name or number right after it: one register token. */
            if (m->prefix && n > 0 && toks[n - 1].kind == T_PUNCT && toks[n - 1].text[0] == m->prefix
                && toks[n - 1].end == t.start && (k == T_IDENT || k == T_NUM)) {
                Tok *p = &toks[n - 1];
                p->kind = T_PREG;
                snprintf(p->text, NAMELEN, "%.*s", (int)(t.end - t.start), t.start);
                p->end = t.end;
                continue;
            }
            if (n < 256)
                toks[n++] = t;
        }
    }
    return c.errors;
}
