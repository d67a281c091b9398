target_sources(carver_lib PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/detect.c
  ${CMAKE_CURRENT_LIST_DIR}/table.c)
