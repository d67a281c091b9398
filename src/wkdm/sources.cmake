# WKdm codec, page-blob address space, page-relative type search (README.md: "Compressed memory").
target_sources(carver_lib PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/wkdm.c
  ${CMAKE_CURRENT_LIST_DIR}/pages.c
  ${CMAKE_CURRENT_LIST_DIR}/pagetypes.c)
