# The runtime reliability suite (stress.c): one CTest test per scenario,
# named ${NAME}/reliability/<scenario>, with the label `reliability`.
# Included by tests/tests.cmake (the host build) and by cmake/target for a
# POSIX build (MODE posix or reliability), with the library `trampgen`
# defined. Which scenarios run:
#   - natively (not cross-compiling): all of them;
#   - under an emulator: TRAMPGEN_STRESS_SUBSET, a list passed by
#     cmake/cross.cmake; none when it is unset.
# TRAMPGEN_STRESS_SCALE (default 1) divides every iteration count; it
# reaches the program as the environment variable of the same name.
# TRAMPGEN_SANITIZE: ON for AddressSanitizer + UBSan, "thread" for
# ThreadSanitizer; each gets the options its runtime needs to leave the
# fault signals to trampgen.
get_filename_component(STRESS_DIR "${CMAKE_CURRENT_LIST_DIR}" ABSOLUTE)
trampgen_scenarios(STRESS_SCENARIOS "${STRESS_DIR}/stress.c")

set(TRAMPGEN_STRESS_SUBSET "" CACHE STRING "Reliability scenarios to run under an emulator (a list; none when empty)")
set(TRAMPGEN_STRESS_SCALE 1 CACHE STRING "Divide the reliability suite's iteration counts by this")

if(NOT CMAKE_CROSSCOMPILING)
  set(_stress_run ${STRESS_SCENARIOS})
elseif(CMAKE_CROSSCOMPILING_EMULATOR)
  set(_stress_run ${TRAMPGEN_STRESS_SUBSET})
else()
  set(_stress_run)
endif()
foreach(s IN LISTS _stress_run)
  if(NOT s IN_LIST STRESS_SCENARIOS)
    message(FATAL_ERROR "TRAMPGEN_STRESS_SUBSET: '${s}' is not a scenario of tests/reliability/runtime/stress.c (${STRESS_SCENARIOS})")
  endif()
endforeach()

if(_stress_run)
  find_package(Threads REQUIRED)
  add_executable(stress "${STRESS_DIR}/stress.c")
  target_link_libraries(stress PRIVATE trampgen Threads::Threads)
  # The stack protector reads its canary from the thread control block:
  # one more witness if a signal frame ever lands on it.
  target_compile_options(stress PRIVATE -Wall -Wextra -fstack-protector-strong)
  set_target_properties(stress PROPERTIES C_STANDARD 11 C_EXTENSIONS ON)

  set(_stress_env "TRAMPGEN_STRESS_SCALE=${TRAMPGEN_STRESS_SCALE}")
  set(_stress_timeout 300)
  if(TRAMPGEN_SANITIZE STREQUAL "thread")
    # ThreadSanitizer wraps every handler; it must not claim the fault
    # signals itself (handle_*=0) and must report any race it sees.
    list(APPEND _stress_env
      "TSAN_OPTIONS=handle_segv=0:handle_sigbus=0:handle_sigfpe=0:handle_sigill=0:use_sigaltstack=0:halt_on_error=1:exitcode=66:report_signal_unsafe=1")
    set(_stress_timeout 600)
  elseif(TRAMPGEN_SANITIZE)
    # As for the fault suite (tests/posix/tests.cmake): ASan leaves the fault
    # signals to trampgen and gives no thread an alternate stack of its own.
    list(APPEND _stress_env
      "ASAN_OPTIONS=handle_segv=0:handle_sigbus=0:handle_sigfpe=0:handle_sigill=0:use_sigaltstack=0:detect_leaks=1:abort_on_error=0"
      "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
    set(_stress_timeout 600)
  elseif(CMAKE_CROSSCOMPILING)
    set(_stress_timeout 600)
  endif()
  foreach(s IN LISTS _stress_run)
    add_test(NAME ${NAME}/reliability/${s} COMMAND stress ${s})
    set_tests_properties(${NAME}/reliability/${s} PROPERTIES
      LABELS reliability SKIP_RETURN_CODE 77 TIMEOUT ${_stress_timeout}
      ENVIRONMENT "${_stress_env}")
  endforeach()
endif()
