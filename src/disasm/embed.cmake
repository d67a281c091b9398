# Writes OUT, a C file holding the bytes of IN as `const unsigned char NAME[]` and
# `const size_t NAME_len` (a signature file compiled into the library).
# Usage: cmake -DIN=file -DOUT=file.c -DNAME=symbol -P embed.cmake
file(READ "${IN}" _hex HEX)
string(LENGTH "${_hex}" _n)
math(EXPR _n "${_n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," _bytes "${_hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n  "
       _bytes "${_bytes}")
get_filename_component(_src "${IN}" NAME)
file(WRITE "${OUT}.tmp"
  "/* Generated from signatures/${_src} by src/disasm/embed.cmake. DO NOT EDIT. */\n"
  "#include <stddef.h>\n"
  "const unsigned char ${NAME}[] = {\n  ${_bytes}0x00};\n"
  "const size_t ${NAME}_len = ${_n};\n")
file(RENAME "${OUT}.tmp" "${OUT}")
