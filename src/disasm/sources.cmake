# src/disasm: capstone disassembly and code signatures. disasm.c is the only file that
# includes capstone.
target_sources(carver_lib PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/disasm.c
  ${CMAKE_CURRENT_LIST_DIR}/sig.c
  ${CMAKE_CURRENT_LIST_DIR}/sigscan.c
  ${CMAKE_CURRENT_LIST_DIR}/elfsym.c
  ${CMAKE_CURRENT_LIST_DIR}/pylayout.c)
target_link_libraries(carver_lib PRIVATE PkgConfig::CAPSTONE)

# The layout signatures (signatures/cpython-layout.sig) are compiled in, so that a scan can
# use them without the signatures/ folder.
set(_crv_layout_sig ${PROJECT_SOURCE_DIR}/signatures/cpython-layout.sig)
set(_crv_layout_c ${CMAKE_CURRENT_BINARY_DIR}/sig_builtin_layout.c)
add_custom_command(
  OUTPUT ${_crv_layout_c}
  COMMAND ${CMAKE_COMMAND} -DIN=${_crv_layout_sig} -DOUT=${_crv_layout_c}
          -DNAME=crvi_sig_builtin_layout -P ${CMAKE_CURRENT_LIST_DIR}/embed.cmake
  DEPENDS ${_crv_layout_sig} ${CMAKE_CURRENT_LIST_DIR}/embed.cmake
  COMMENT "Embedding signatures/cpython-layout.sig"
  VERBATIM)
target_sources(carver_lib PRIVATE ${_crv_layout_c})
