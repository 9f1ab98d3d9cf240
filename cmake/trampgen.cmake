# Shared by the top-level build and every per-toolchain build (cmake/target).
#
# trampgen_runtime(<library> TARGET <spec target> [BACKEND windows|posix])
#   A static library of one target's generated trampolines and context stubs,
#   the shared dispatcher and, with BACKEND, that OS backend. Without
#   BACKEND the caller supplies the trampgen_os_* functions (the
#   emulated-OS harness does).

get_filename_component(TRAMPGEN_SOURCE_DIR "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)

# Generated assembly is built with assembler warnings as errors: a warning
# (a truncated immediate, an operand the assembler reinterpreted) means the
# instruction is not what the template meant, and the build must say so.
set(TRAMPGEN_ASM_FATAL_WARNINGS "-Wa,--fatal-warnings")

function(trampgen_runtime lib)
  cmake_parse_arguments(A "" "TARGET;BACKEND" "" ${ARGN})
  set(out "${TRAMPGEN_SOURCE_DIR}/out/${A_TARGET}")
  if(NOT EXISTS "${TRAMPGEN_SOURCE_DIR}/spec/target/${A_TARGET}.toml")
    message(FATAL_ERROR "trampgen: no spec for target '${A_TARGET}' (spec/target/${A_TARGET}.toml)")
  endif()
  set(srcs "${out}/trampolines.S" "${out}/context.c" "${TRAMPGEN_SOURCE_DIR}/runtime/dispatch.c")
  if(A_BACKEND)
    list(APPEND srcs "${TRAMPGEN_SOURCE_DIR}/runtime/${A_BACKEND}.c")
  endif()
  add_library(${lib} STATIC ${srcs})
  target_include_directories(${lib} PUBLIC "${out}" "${TRAMPGEN_SOURCE_DIR}/runtime")
  target_compile_options(${lib} PRIVATE $<$<COMPILE_LANGUAGE:C>:-Wall -Wextra>
                                        $<$<COMPILE_LANGUAGE:ASM>:${TRAMPGEN_ASM_FATAL_WARNINGS}>)
  set_target_properties(${lib} PROPERTIES C_STANDARD 11 C_EXTENSIONS ON)
endfunction()

# trampgen_skip_test(<name> <reason>): a test that reports "skipped" with its
# reason (CTest shows it as Skipped, never as Passed).
function(trampgen_skip_test name reason)
  add_test(NAME ${name} COMMAND sh -c "echo \"skipped: $1\"; exit 77" sh "${reason}")
  set_tests_properties(${name} PROPERTIES SKIP_RETURN_CODE 77)
endfunction()

# trampgen_c_command(<var>): this build's C compiler as a command line
# (compiler, --target for clang cross builds, sysroot, CMAKE_C_FLAGS), for
# tests that run the compiler themselves (the ABI oracle). A harness build
# compiles a Windows target with a Linux compiler, whose convention is not
# the target's: there cmake/cross.cmake passes the target's own compiler as
# TRAMPGEN_OWN_CC, and that is what this returns.
function(trampgen_c_command var)
  if(TRAMPGEN_OWN_CC)
    set(cc ${TRAMPGEN_OWN_CC})
  else()
    set(cc "${CMAKE_C_COMPILER}")
    if(CMAKE_C_COMPILER_TARGET)
      list(APPEND cc "--target=${CMAKE_C_COMPILER_TARGET}")
    endif()
    if(CMAKE_SYSROOT)
      list(APPEND cc "--sysroot=${CMAKE_SYSROOT}")
    endif()
    separate_arguments(flags UNIX_COMMAND "${CMAKE_C_FLAGS}")
    list(APPEND cc ${flags})
  endif()
  set(${var} ${cc} PARENT_SCOPE)
endfunction()

# trampgen_fatal_warnings_test(<name>): a test that an assembler warning
# fails this build's assembler command (tests/objects/fatal_warnings.cmake).
function(trampgen_fatal_warnings_test name)
  trampgen_c_command(cc)
  string(REPLACE ";" "|" cc "${cc}")
  add_test(NAME ${name}
    COMMAND ${CMAKE_COMMAND} "-DCC=${cc}" "-DFLAG=${TRAMPGEN_ASM_FATAL_WARNINGS}"
            "-DSRC=${TRAMPGEN_SOURCE_DIR}/tests/objects/warns.S" "-DOUT=${CMAKE_CURRENT_BINARY_DIR}"
            -P "${TRAMPGEN_SOURCE_DIR}/tests/objects/fatal_warnings.cmake")
endfunction()

# trampgen_scenarios(<var> <source>): the scenario names of a scenario
# program (its `{ "name", scenario_... }` table rows, tests/faults/check.h),
# in table order; configure re-runs when the source changes.
function(trampgen_scenarios var source)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${source}")
  file(STRINGS "${source}" rows REGEX "^[ \t]*{ \"[a-z_0-9]+\", scenario_")
  set(names)
  foreach(row IN LISTS rows)
    string(REGEX REPLACE "^[ \t]*{ \"([a-z_0-9]+)\".*" "\\1" name "${row}")
    list(APPEND names ${name})
  endforeach()
  set(${var} ${names} PARENT_SCOPE)
endfunction()

# trampgen_test_sources(<var> <template>...)
#   Renders each test template (a path under the source tree ending in .j2)
#   for this build's target ${T} into ${CMAKE_CURRENT_BINARY_DIR}/tgen/, with
#   the spec model the product templates see (gen/testgen.py), and sets
#   <var> to the generated files. A target's test code thus comes from its
#   spec files; nothing per target is written in tests/.
file(GLOB_RECURSE TRAMPGEN_SPEC_FILES CONFIGURE_DEPENDS "${TRAMPGEN_SOURCE_DIR}/spec/*.toml")
file(GLOB TRAMPGEN_GEN_FILES CONFIGURE_DEPENDS "${TRAMPGEN_SOURCE_DIR}/gen/*.py")
file(GLOB_RECURSE TRAMPGEN_TEST_TEMPLATES CONFIGURE_DEPENDS "${TRAMPGEN_SOURCE_DIR}/tests/*.j2")
function(trampgen_test_sources var)
  if(NOT TRAMPGEN_PYTHON)
    message(FATAL_ERROR "trampgen: TRAMPGEN_PYTHON is not set; test code is generated with it")
  endif()
  set(outs)
  foreach(tmpl IN LISTS ARGN)
    get_filename_component(abs "${tmpl}" ABSOLUTE BASE_DIR "${TRAMPGEN_SOURCE_DIR}")
    file(RELATIVE_PATH rel "${TRAMPGEN_SOURCE_DIR}" "${abs}")
    get_filename_component(name "${abs}" NAME)
    string(REGEX REPLACE "\\.j2$" "" name "${name}")
    set(out "${CMAKE_CURRENT_BINARY_DIR}/tgen/${name}")
    add_custom_command(OUTPUT "${out}"
      COMMAND "${TRAMPGEN_PYTHON}" -m gen.testgen --root "${TRAMPGEN_SOURCE_DIR}"
              --target "${T}" --template "${rel}" --output "${out}"
      DEPENDS "${abs}" ${TRAMPGEN_SPEC_FILES} ${TRAMPGEN_GEN_FILES} ${TRAMPGEN_TEST_TEMPLATES}
      WORKING_DIRECTORY "${TRAMPGEN_SOURCE_DIR}"
      COMMENT "trampgen: ${rel} for ${T}"
      VERBATIM)
    list(APPEND outs "${out}")
  endforeach()
  set(${var} ${outs} PARENT_SCOPE)
endfunction()
