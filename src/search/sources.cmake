# src/search: pattern search over memory (pcre2) and generic stream records.
target_sources(carver_lib PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/search.c
  ${CMAKE_CURRENT_LIST_DIR}/grep.c
  ${CMAKE_CURRENT_LIST_DIR}/record.c)
