/* The checks every test program prints: one line per check, `ok` or `FAIL`
   with the reason, and the failures counted for the exit status. Shared by
   the fault suite, the reliability suite and the Windows programs. */
#ifndef TRAMPGEN_TEST_CHECK_H
#define TRAMPGEN_TEST_CHECK_H

#include <stdio.h>
#include <string.h>

static int failures;

#define CHECK(cond, ...)                                                        \
	do {                                                                    \
		if (cond) {                                                     \
			printf("  ok   %s\n", #cond);                           \
		} else {                                                        \
			failures++;                                             \
			printf("  FAIL %s (line %d): ", #cond, __LINE__);       \
			printf(__VA_ARGS__);                                    \
			printf("\n");                                           \
		}                                                               \
	} while (0)

/* A program of scenarios, one per run (`prog NAME`; `prog` alone lists
   them). Exit status: 0 passed, 1 failed, SCENARIO_SKIPPED not applicable
   here (the scenario printed why; CTest reports it as skipped). */
#define SCENARIO_SKIPPED 77

struct scenario {
	const char *name;
	int (*run)(void);
};

/* The scenario argv names, or NULL with *status set: 0 after listing them
   (no argument), 2 for a wrong command line or an unknown name. */
static inline const struct scenario *scenario_named(const struct scenario *table, size_t n,
                                                    int argc, char **argv, int *status)
{
	if (argc != 2) {
		for (size_t i = 0; i < n; i++)
			printf("%s\n", table[i].name);
		*status = argc == 1 ? 0 : 2;
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if (strcmp(argv[1], table[i].name) == 0)
			return &table[i];
	printf("unknown scenario %s\n", argv[1]);
	*status = 2;
	return NULL;
}

/* The exit status of a run whose scenario returned rc, said in one line. */
static inline int scenario_status(const char *name, int rc)
{
	if (rc == SCENARIO_SKIPPED)
		return rc;
	if (rc != 0 || failures != 0) {
		printf("%s: FAILED (%d checks)\n", name, failures);
		return 1;
	}
	printf("%s: passed\n", name);
	return 0;
}

/* The end of a program that is one scenario. */
static inline int finish(const char *name)
{
	return scenario_status(name, 0);
}

#endif
