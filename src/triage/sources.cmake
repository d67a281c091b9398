# carver triage: read findings streams back, summarize, filter, report (src/triage/).
target_sources(carver_lib PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/reader.c
  ${CMAKE_CURRENT_LIST_DIR}/record.c
  ${CMAKE_CURRENT_LIST_DIR}/topn.c
  ${CMAKE_CURRENT_LIST_DIR}/summary.c
  ${CMAKE_CURRENT_LIST_DIR}/out.c
  ${CMAKE_CURRENT_LIST_DIR}/report.c
  ${CMAKE_CURRENT_LIST_DIR}/html.c
)
