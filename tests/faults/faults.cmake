# fault_suite(<executable> <platform sources...>): the fault suite built
# against the library `trampgen`, one CTest test per scenario, named
# ${NAME}/<scenario>. Scenario names come from suite.c itself.
get_filename_component(FAULTS_DIR "${CMAKE_CURRENT_LIST_DIR}" ABSOLUTE)
trampgen_scenarios(FAULT_SCENARIOS "${FAULTS_DIR}/suite.c")

function(fault_suite exe)
  # The per-ISA parts (register capture, trapping instructions) come from the spec.
  trampgen_test_sources(generated "${FAULTS_DIR}/capture.S.j2" "${FAULTS_DIR}/capture.h.j2"
                        "${FAULTS_DIR}/faultops.h.j2")
  add_executable(${exe} "${FAULTS_DIR}/suite.c" ${generated} ${ARGN})
  target_include_directories(${exe} PRIVATE "${FAULTS_DIR}" "${CMAKE_CURRENT_BINARY_DIR}/tgen")
  target_link_libraries(${exe} PRIVATE trampgen)
  target_compile_options(${exe} PRIVATE $<$<COMPILE_LANGUAGE:C>:-Wall -Wextra>)
  set_target_properties(${exe} PROPERTIES C_STANDARD 11 C_EXTENSIONS ON POSITION_INDEPENDENT_CODE OFF)
  # capture.S may address its data absolutely (spec/isa idioms.address).
  target_link_options(${exe} PRIVATE $<$<NOT:$<PLATFORM_ID:Windows>>:-no-pie>)
endfunction()

# fault_suite_tests(<executable> [ENVIRONMENT ...] [FIXTURES ...])
function(fault_suite_tests exe)
  cmake_parse_arguments(A "" "" "ENVIRONMENT;FIXTURES" ${ARGN})
  foreach(s IN LISTS FAULT_SCENARIOS)
    add_test(NAME ${NAME}/${s} COMMAND ${exe} ${s})
    set_tests_properties(${NAME}/${s} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120)
    if(A_ENVIRONMENT)
      set_tests_properties(${NAME}/${s} PROPERTIES ENVIRONMENT "${A_ENVIRONMENT}")
    endif()
    if(A_FIXTURES)
      set_tests_properties(${NAME}/${s} PROPERTIES FIXTURES_REQUIRED "${A_FIXTURES}")
    endif()
  endforeach()
endfunction()

# fault_suite_skipped(<reason>): every scenario reported as skipped, with the reason.
function(fault_suite_skipped reason)
  foreach(s IN LISTS FAULT_SCENARIOS)
    trampgen_skip_test(${NAME}/${s} "${reason}")
  endforeach()
endfunction()
