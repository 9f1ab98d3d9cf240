# The harness's CONTEXT mirror checked against the real <windows.h>, for
# builds made for Windows itself (tests/windows, tests/objects).
#
# harness_layout_check(<target>)
#   Adds the mirror (context.h) and its member-by-member check
#   (layout_check.c), both rendered from ${T}'s spec, to <target>.
function(harness_layout_check tgt)
  trampgen_test_sources(gen tests/harness/context.h.j2 tests/harness/layout_check.c.j2)
  target_sources(${tgt} PRIVATE ${gen})
  target_include_directories(${tgt} PRIVATE "${CMAKE_CURRENT_BINARY_DIR}/tgen")
endfunction()
