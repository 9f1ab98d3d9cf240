/* The checks of the Windows-only test programs (as the fault suite's). */
#ifndef WINDOWS_CHECK_H
#define WINDOWS_CHECK_H

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

static int finish(const char *name)
{
	if (failures != 0) {
		printf("%s: FAILED (%d checks)\n", name, failures);
		return 1;
	}
	printf("%s: passed\n", name);
	return 0;
}

#endif
