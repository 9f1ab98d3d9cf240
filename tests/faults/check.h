/* The checks every test program prints: one line per check, `ok` or `FAIL`
   with the reason, and the failures counted for the exit status. Shared by
   the fault suite, the reliability suite and the Windows programs. */
#ifndef TRAMPGEN_TEST_CHECK_H
#define TRAMPGEN_TEST_CHECK_H

#include <stdio.h>

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

static inline int finish(const char *name)
{
	if (failures != 0) {
		printf("%s: FAILED (%d checks)\n", name, failures);
		return 1;
	}
	printf("%s: passed\n", name);
	return 0;
}

#endif
