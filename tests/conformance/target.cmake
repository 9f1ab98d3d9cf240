# The conformance harness (issue 4, item 1) for one target build. Included by
# cmake/target/CMakeLists.txt and, for the host, tests/tests.cmake, with T,
# NAME, SRC, TRAMPGEN_MODE and TRAMPGEN_PYTHON set.
#
# ${NAME}/conformance-entries    every entry trampoline entered as the OS does,
#                                a clobber-all dispatcher behind it: what the
#                                ABI oracle calls preserved must survive
# ${NAME}/conformance-sigresume  sigresume changes nothing but SP, PC and its
#                                two scratch registers
# ${NAME}/conformance-catches    (host only) the same program built from a
#                                spec whose resume scratch register was swapped
#                                for a callee-saved one must fail, naming it
#
# The program is out/${T}/trampolines.S + conform.S + conform.c: nothing of
# runtime/ (conform.S is the dispatcher). What must be preserved comes from
# tests/oracle/oracle.py run with this target's own compiler at build time.
get_filename_component(CONFORM_DIR "${CMAKE_CURRENT_LIST_DIR}" ABSOLUTE)

function(conform_skip reason)
  foreach(t entries sigresume)
    trampgen_skip_test(${NAME}/conformance-${t} "${reason}")
  endforeach()
endfunction()

if(NOT TRAMPGEN_PYTHON)
  find_program(TRAMPGEN_PYTHON NAMES python3)
endif()
if(NOT TRAMPGEN_PYTHON)
  conform_skip("no Python 3 to run tests/oracle/oracle.py (pass -DTRAMPGEN_PYTHON=...)")
  return()
endif()
if(NOT EXISTS "${SRC}/tests/oracle/oracle.py")
  conform_skip("the ABI oracle tests/oracle/oracle.py is missing: nothing says which registers must survive")
  return()
endif()

# The compiler whose convention is the target's, for the oracle (a harness
# build gets the Windows one from cmake/cross.cmake as TRAMPGEN_OWN_CC).
if(TRAMPGEN_MODE STREQUAL "harness" AND NOT TRAMPGEN_OWN_CC)
  conform_skip("no compiler of ${T}'s own is known (TRAMPGEN_OWN_CC), so no oracle can say what its ABI preserves")
  return()
endif()
trampgen_c_command(_conform_oracle_cc)
list(GET _conform_oracle_cc 0 _cc0)
find_program(_conform_oracle_${T} ${_cc0})
if(NOT _conform_oracle_${T})
  conform_skip("${_cc0} is not installed: the oracle needs ${T}'s own compiler (scripts/setup.sh installs it)")
  return()
endif()

# The oracle's answer and the OS spec's entries, as a header (tables.py).
set(_conform_gen "${CMAKE_CURRENT_BINARY_DIR}/conformance.gen")
get_filename_component(_conform_target_file "${SRC}/spec/target/${T}.toml" ABSOLUTE)
# The oracle reads its per-ISA spellings through the generator's loader (gen/).
file(GLOB _conform_deps "${SRC}/spec/os/*.toml" "${SRC}/spec/isa/*.toml" "${SRC}/tests/oracle/*.py")
list(APPEND _conform_deps ${TRAMPGEN_GEN_FILES})
add_custom_command(
  OUTPUT "${_conform_gen}/conform_tables.h" "${_conform_gen}/${T}.regs"
  COMMAND "${TRAMPGEN_PYTHON}" "${CONFORM_DIR}/tables.py" --root "${SRC}" --target ${T}
          --oracle "${_conform_gen}/${T}.regs" --out "${_conform_gen}/conform_tables.h"
          -- ${_conform_oracle_cc}
  DEPENDS "${CONFORM_DIR}/tables.py" "${_conform_target_file}" ${_conform_deps}
  COMMENT "conformance: asking the ABI oracle what ${T} preserves"
  VERBATIM)
add_custom_target(conformance-tables DEPENDS "${_conform_gen}/conform_tables.h")

# conform_program(<exe> <out dir>): the conformance program against the
# trampolines in <out dir> (trampolines.S, trampgen_target.h).
# conform.S and conform_isa.h: rendered for ${T} from its spec.
trampgen_test_sources(_conform_src "${CONFORM_DIR}/conform.S.j2" "${CONFORM_DIR}/conform_isa.h.j2")
function(conform_program exe outdir)
  add_executable(${exe} "${CONFORM_DIR}/conform.c" ${_conform_src} "${outdir}/trampolines.S")
  add_dependencies(${exe} conformance-tables)
  target_include_directories(${exe} PRIVATE "${outdir}" "${_conform_gen}" "${CMAKE_CURRENT_BINARY_DIR}/tgen")
  target_compile_options(${exe} PRIVATE $<$<COMPILE_LANGUAGE:C>:-Wall -Wextra>)
  set_target_properties(${exe} PROPERTIES C_STANDARD 11 C_EXTENSIONS ON POSITION_INDEPENDENT_CODE OFF)
  # conform.S addresses its tables absolutely on 32-bit ISAs.
  if(NOT CMAKE_SYSTEM_NAME STREQUAL "Windows")
    target_link_options(${exe} PRIVATE -no-pie)
  endif()
endfunction()

# Objects mode: nothing runs here; still prove that conform.S and conform.c
# compile for the target's object format.
if(TRAMPGEN_MODE STREQUAL "objects")
  add_library(conformance OBJECT "${CONFORM_DIR}/conform.c" ${_conform_src} "${SRC}/out/${T}/trampolines.S")
  add_dependencies(conformance conformance-tables)
  target_include_directories(conformance PRIVATE "${SRC}/out/${T}" "${_conform_gen}" "${CMAKE_CURRENT_BINARY_DIR}/tgen")
  conform_skip("${T} is built as COFF objects only here: no runner exists (the harness-${T} build runs the same checks)")
  return()
endif()

conform_program(conformance "${SRC}/out/${T}")

set(_conform_env)
set(_conform_fixture)
if(TRAMPGEN_MODE STREQUAL "windows")
  # The runner, its environment and its prefix: cmake/wine.cmake.
  if(TRAMPGEN_NO_RUNNER)
    conform_skip("${TRAMPGEN_NO_RUNNER}")
    return()
  endif()
  set(_conform_env ${TRAMPGEN_WINE_ENV})
  set(_conform_fixture ${TRAMPGEN_WINE_FIXTURE})
elseif(CMAKE_CROSSCOMPILING AND NOT CMAKE_CROSSCOMPILING_EMULATOR)
  if(TRAMPGEN_NO_EMULATOR_WHY)
    conform_skip("${TRAMPGEN_NO_EMULATOR_WHY}")
  else()
    conform_skip("no emulator for ${T}'s ISA (qemu-user is installed by scripts/setup.sh)")
  endif()
  return()
endif()

foreach(t entries sigresume)
  add_test(NAME ${NAME}/conformance-${t} COMMAND conformance ${t})
  set_tests_properties(${NAME}/conformance-${t} PROPERTIES TIMEOUT 120)
  if(_conform_env)
    set_tests_properties(${NAME}/conformance-${t} PROPERTIES ENVIRONMENT "${_conform_env}"
      FIXTURES_REQUIRED "${_conform_fixture}")
  endif()
endforeach()

# The proof that the harness catches a wrong spec, on the host: a copy of
# spec/ (mutate.py) whose sigresume reads SP from the first callee-saved int
# register instead of resume.scratch[0], with that register taken out of
# callee_saved so that validation accepts it. The edit is made on the parsed
# spec, never on its text. sigtramp then no longer saves the register, the
# clobbering dispatcher's value comes back, and conformance-entries must fail
# naming it (mutate.py writes the expected line to mutation.cmake).
if(TRAMPGEN_HOST_TARGET AND T STREQUAL TRAMPGEN_HOST_TARGET AND NAME STREQUAL T AND NOT CMAKE_CROSSCOMPILING)
  set(_mut "${CMAKE_CURRENT_BINARY_DIR}/conformance-mutant.spec")
  file(GLOB_RECURSE _mut_deps "${SRC}/spec/*.toml" "${SRC}/templates/*.j2" "${SRC}/gen/*.py")
  add_custom_command(
    OUTPUT "${_mut}/out/${T}/trampolines.S" "${_mut}/out/${T}/trampgen_target.h" "${_mut}/mutation.cmake"
    COMMAND "${TRAMPGEN_PYTHON}" "${CONFORM_DIR}/mutate.py" "${SRC}" "${_mut}" ${T} -- ${_conform_oracle_cc}
    COMMAND "${TRAMPGEN_PYTHON}" -m gen --root "${_mut}" generate ${T}
    WORKING_DIRECTORY "${SRC}"
    DEPENDS "${CONFORM_DIR}/mutate.py" "${SRC}/tests/abi_edits/specedit.py" ${_mut_deps}
    COMMENT "conformance: rendering ${T} from a spec with resume.scratch[0] swapped for a callee-saved register"
    VERBATIM)
  conform_program(conformance-mutant "${_mut}/out/${T}")
  add_test(NAME ${NAME}/conformance-catches
    COMMAND "${CMAKE_COMMAND}" -DPROGRAM=$<TARGET_FILE:conformance-mutant> -DARGS=entries
            "-DEXPECT_FILE=${_mut}/mutation.cmake"
            -P "${CONFORM_DIR}/expect_fail.cmake")
endif()
