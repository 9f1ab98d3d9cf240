# Every non-host build: one CMake build per build of spec/ (cmake/target), run at
# build time, whose tests join this build's CTest run. A build whose compiler
# is missing becomes a skipped test that says so.
include(ExternalProject)

function(trampgen_cross name)
  cmake_parse_arguments(A "" "TARGET;MODE;TOOLCHAIN;COMPILER" "CMAKE_ARGS;OWN_CC" ${ARGN})
  set(bin "${CMAKE_BINARY_DIR}/cross/${name}")
  find_program(_cc_${name} ${A_COMPILER})
  if(NOT _cc_${name})
    trampgen_skip_test(${name}/build "${A_COMPILER} is not installed (scripts/setup.sh installs it)")
    return()
  endif()
  set(args -DTRAMPGEN_TARGET=${A_TARGET} -DTRAMPGEN_MODE=${A_MODE} -DTRAMPGEN_BUILD_NAME=${name}
           "-DTRAMPGEN_PYTHON=${TRAMPGEN_PYTHON}")
  if(A_MODE STREQUAL "windows")
    # Where scripts/setup.sh records why an optional runner (wine32) is missing.
    list(APPEND args "-DTRAMPGEN_STATE_DIR=${CMAKE_SOURCE_DIR}/build-env")
  endif()
  # The checker the host build makes, for the ${NAME}/disassembly tests
  # (tests/checker/target.cmake); it needs re2c, as tests/checker/host.cmake says.
  find_program(TRAMPGEN_RE2C re2c)
  if(TRAMPGEN_RE2C)
    list(APPEND args "-DTRAMPGEN_CHECKER=${CMAKE_BINARY_DIR}/trampgen_check")
  endif()
  list(APPEND args ${A_CMAKE_ARGS})
  if(A_OWN_CC)
    string(REPLACE ";" "|" own "${A_OWN_CC}")   # a list: LIST_SEPARATOR below
    list(APPEND args "-DTRAMPGEN_OWN_CC=${own}")
  endif()
  if(A_TOOLCHAIN)
    list(APPEND args "-DCMAKE_TOOLCHAIN_FILE=${A_TOOLCHAIN}")   # a generated file
  endif()
  ExternalProject_Add(cross-${name}
    SOURCE_DIR "${CMAKE_SOURCE_DIR}/cmake/target"
    BINARY_DIR "${bin}"
    CMAKE_ARGS ${args}
    LIST_SEPARATOR |
    BUILD_ALWAYS 1
    INSTALL_COMMAND ""
    DEPENDS generate)
  # Its tests join ours; if it was never built, that is a failure, not silence.
  file(WRITE "${bin}-tests.cmake"
    "if(EXISTS \"${bin}/CTestTestfile.cmake\")\n"
    "  include(\"${bin}/CTestTestfile.cmake\")\n"
    "else()\n"
    "  add_test(${name}/not-built sh -c \"echo '${name} was not built: build the project first'; exit 1\")\n"
    "endif()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${bin}-tests.cmake")
endfunction()

# Every build spec/ describes (gen/builds.py, run by cmake/builds.cmake): per
# target, the builds its OS lists in spec/os/*.toml [[build]] for its runner,
# and the host target's [[host_build]] variants.
include("${TRAMPGEN_BUILDS_DIR}/builds.cmake")
