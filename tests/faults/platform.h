/* What the fault suite needs from the platform it runs on, beyond trampgen. */
#ifndef PLATFORM_H
#define PLATFORM_H

#include <stdint.h>

extern const char platform_name[];

/* The handler after trampgen's: Windows, a vectored handler added last; the
   harness, its next-handler hook; POSIX, the signal handler installed before
   trampgen. It returns 1 after editing the context to resume, 0 to pass on.
   Call before trampgen_install. */
typedef int (*platform_next_fn)(void *context);
void platform_set_next_handler(platform_next_fn fn);

/* One page of memory, and switching it between read-only and read-write. */
void *platform_page_alloc(void);
void platform_page_protect(void *page, int writable);

/* Deliver a fault again, through the real entry trampoline, as the OS
   would: the original's code, detail and address, with `context` (a copy
   of a context trampgen saw) as the context. */
struct trampgen_fault;
void platform_replay(const struct trampgen_fault *original, void *context);

/* NULL where the OS calls vectored continue handlers after a handler asked
   to continue execution; otherwise why it does not. */
const char *platform_continue_handlers_missing(void);
/* Where that is missing: register an entry trampoline as one more vectored
   exception handler, after every other one, so the OS still calls it for
   real. Returns 0, or -1 where there is no such thing. */
int platform_add_last_exception_handler(void *entry);

#endif
