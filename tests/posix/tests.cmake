# A Linux target: the fault suite with real signals, under qemu-user unless native.
include("${SRC}/tests/faults/faults.cmake")
fault_suite(suite "${SRC}/tests/faults/platform_posix.c")
find_package(Threads REQUIRED)
target_link_libraries(suite PRIVATE Threads::Threads)
if(CMAKE_CROSSCOMPILING AND NOT CMAKE_CROSSCOMPILING_EMULATOR)
  if(TRAMPGEN_NO_EMULATOR_WHY)
    fault_suite_skipped("${TRAMPGEN_NO_EMULATOR_WHY}")
  else()
    fault_suite_skipped("no emulator for ${T} (qemu-user is installed by scripts/setup.sh)")
  endif()
elseif(TRAMPGEN_SANITIZE)
  # The faults are the point: ASan must leave fault signals to trampgen
  # (its own handlers would claim every one) and not give threads its own
  # alternate stack (trampgen_attach would keep it instead of its own), and
  # report anything else.
  fault_suite_tests(suite ENVIRONMENT
    "ASAN_OPTIONS=handle_segv=0:handle_sigbus=0:handle_sigfpe=0:handle_sigill=0:use_sigaltstack=0:detect_leaks=1:abort_on_error=0"
    "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
  # Its recovery runs on a stack in .bss: LeakSanitizer's exit-time scan then
  # takes the thread's stack to span from there to the real one and faults.
  set_tests_properties(${NAME}/stack_overflow PROPERTIES ENVIRONMENT
    "ASAN_OPTIONS=handle_segv=0:handle_sigbus=0:handle_sigfpe=0:handle_sigill=0:use_sigaltstack=0:detect_leaks=0;UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
else()
  fault_suite_tests(suite)
endif()
