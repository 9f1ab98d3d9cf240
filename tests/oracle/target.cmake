# The compiler as ABI oracle (tests/oracle/oracle.py), for one target build.
# Included by cmake/target/CMakeLists.txt and, for the host, tests/tests.cmake,
# with T (spec target), NAME (test-name prefix), SRC (source root),
# TRAMPGEN_MODE and TRAMPGEN_PYTHON set.
#
# ${NAME}/abi-oracle          this build's C compiler's callee-saved set vs
#                             spec/target/${T}.toml; writes the result file
#                             ${CMAKE_CURRENT_BINARY_DIR}/abi-oracle/${T}.regs
#                             (format: top of oracle.py). A test that reads it
#                             can say FIXTURES_REQUIRED abi-oracle:${NAME}.
# ${NAME}/abi-oracle-catches  the same oracle on a copy of the spec with a
#                             callee-saved register removed must fail, naming it.
#
# Everything per ISA the oracle needs (how the compilers spell registers) is
# spec/isa/<isa>.toml [oracle] (docs/spec.md), read through gen/spec.py; the
# scripts here name no ISA. (This file is a configure input of every build:
# editing it re-runs configure, which drops globs of files that are gone.)

# Only where the compiler is the target's own. A harness build compiles a
# Windows spec with a Linux compiler, whose convention is not the spec's
# (and whose own target is checked by its posix build).
if(NOT TRAMPGEN_MODE MATCHES "^(windows|objects|posix)$")
  return()
endif()

if(NOT TRAMPGEN_PYTHON)
  find_program(TRAMPGEN_PYTHON NAMES python3)
endif()
if(NOT TRAMPGEN_PYTHON)
  trampgen_skip_test(${NAME}/abi-oracle "no Python 3 to run tests/oracle/oracle.py (pass -DTRAMPGEN_PYTHON=...)")
  return()
endif()

# The compiler command line as this build compiles C: the compiler, its
# --target for clang cross builds, the sysroot, and CMAKE_C_FLAGS (-isystem
# for the mingw-w64 headers, ...). oracle.py adds its own -O2 -S and so on.
trampgen_c_command(_oracle_cc)

set(_oracle_dir "${CMAKE_CURRENT_BINARY_DIR}/abi-oracle")
add_test(NAME ${NAME}/abi-oracle
  COMMAND "${TRAMPGEN_PYTHON}" "${SRC}/tests/oracle/oracle.py" ${T} "${SRC}" "${_oracle_dir}/${T}.regs"
          -- ${_oracle_cc})
set_tests_properties(${NAME}/abi-oracle PROPERTIES FIXTURES_SETUP abi-oracle:${NAME})

add_test(NAME ${NAME}/abi-oracle-catches
  COMMAND "${TRAMPGEN_PYTHON}" "${SRC}/tests/oracle/catches.py" ${T} "${SRC}" "${_oracle_dir}/catches"
          -- ${_oracle_cc})
