# The builds spec/ describes: `python3 -m gen.builds` (gen/builds.py) reads
# every spec/target/*.toml and writes, into this build tree,
#   trampgen-builds/host.cmake      TRAMPGEN_HOST_TARGET: the target whose
#                                   toolchain is native for this host processor
#   trampgen-builds/builds.cmake    one trampgen_cross(...) per build
#                                   (included by cmake/cross.cmake)
#   trampgen-builds/toolchains/     the toolchain file of every other target
# Bad toolchain data stops the configure with the generator's one-line errors.
# Any change to spec/ or to the generator's loader re-runs configure.
set(TRAMPGEN_BUILDS_DIR "${CMAKE_BINARY_DIR}/trampgen-builds")
file(GLOB _trampgen_spec_files CONFIGURE_DEPENDS "${CMAKE_SOURCE_DIR}/spec/*/*.toml")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_trampgen_spec_files}
  "${CMAKE_SOURCE_DIR}/gen/builds.py" "${CMAKE_SOURCE_DIR}/gen/spec.py" "${CMAKE_SOURCE_DIR}/gen/schema.py")
execute_process(
  COMMAND "${TRAMPGEN_PYTHON}" -m gen.builds cmake --dir "${TRAMPGEN_BUILDS_DIR}"
          --host-system "${CMAKE_HOST_SYSTEM_NAME}" --host-processor "${CMAKE_HOST_SYSTEM_PROCESSOR}"
  WORKING_DIRECTORY "${CMAKE_SOURCE_DIR}"
  RESULT_VARIABLE _trampgen_rc
  ERROR_VARIABLE _trampgen_err)
if(NOT _trampgen_rc EQUAL 0)
  string(STRIP "${_trampgen_err}" _trampgen_err)
  message(FATAL_ERROR "trampgen: the builds of spec/ could not be planned (python3 -m gen.builds exited ${_trampgen_rc}):\n${_trampgen_err}")
endif()
include("${TRAMPGEN_BUILDS_DIR}/host.cmake")
