/* trampgen_check MODEL FILE.S --table TABLE [--preserved FILE] [--cpp CC]
 *
 * MODEL and TABLE are what tests/checker/model.py writes from spec/: the
 * target's registers and roles, and what its ISA's instructions do
 * (rendered from spec/semantics/ISA.toml).
 *
 * Exit status: 0 every check holds, 1 a check failed (one FAIL line each),
 * 2 the inputs could not be read. The per-trampoline summary is printed
 * either way, for reviewers.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checker.h"

/* Single-quote a path for the shell popen runs. */
static void quote(char *out, size_t n, const char *s)
{
    size_t o = 0;
    if (o < n - 1)
        out[o++] = '\'';
    for (; *s && o < n - 5; s++) {
        if (*s == '\'') {
            memcpy(out + o, "'\\''", 4);
            o += 4;
        } else {
            out[o++] = *s;
        }
    }
    out[o++] = '\'';
    out[o] = 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: trampgen_check MODEL FILE.S --table TABLE [--preserved FILE] [--cpp CC]\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *model_path = NULL, *asm_path = NULL, *preserved = NULL;
    const char *table = NULL, *cc = "cc";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--preserved") == 0 && i + 1 < argc)
            preserved = argv[++i];
        else if (strcmp(argv[i], "--table") == 0 && i + 1 < argc)
            table = argv[++i];
        else if (strcmp(argv[i], "--cpp") == 0 && i + 1 < argc)
            cc = argv[++i];
        else if (argv[i][0] == '-')
            return usage();
        else if (!model_path)
            model_path = argv[i];
        else if (!asm_path)
            asm_path = argv[i];
        else
            return usage();
    }
    if (!model_path || !asm_path || !table)
        return usage();

    static Model m;
    static Isa isa;
    if (load_model(model_path, &m) < 0)
        return 2;
    if (preserved && load_preserved(preserved, &m) < 0)
        return 2;
    if (load_isa(table, &m, &isa) < 0)
        return 2;

    /* The assembler sees the .S after cpp; so does the checker. ELF is the
     * format every target's text is also assembled for (COFF differs only
     * in symbol directives), so __ELF__ selects those. */
    char qcc[1024], qasm[1024], cmd[4096];
    quote(qcc, sizeof qcc, cc);
    quote(qasm, sizeof qasm, asm_path);
    snprintf(cmd, sizeof cmd, "%s -E -x assembler-with-cpp -D__ELF__ %s", qcc, qasm);
    FILE *f = popen(cmd, "r");
    if (!f) {
        perror(cmd);
        return 2;
    }
    static Program prog;
    int lex_errors = parse_asm(f, asm_path, &m, &isa, &prog);
    int rc = pclose(f);
    if (rc != 0) {
        fprintf(stderr, "trampgen_check: the preprocessor failed: %s\n", cmd);
        return 2;
    }
    printf("trampgen_check: %s (%s): %s, model %s, table %s%s%s\n", m.target, m.isa, asm_path, model_path, table,
           preserved ? ", preserved registers from " : "", preserved ? preserved : "");
    int problems = analyze(&m, &isa, &prog) + lex_errors;
    if (problems) {
        printf("trampgen_check: %s: %d problem(s)\n", m.target, problems);
        return 1;
    }
    printf("trampgen_check: %s: every check holds\n", m.target);
    return 0;
}
