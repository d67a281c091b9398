# CPython object layout, read from the interpreter's own exported accessors.
#
# Each accessor is a few instructions that check the object's type and then read one
# field, so the displacement it uses IS the field's offset in that build:
#   PyBytes_AsString (2.7: PyString_AsString)  lea  [op + offsetof(ob_sval)]
#   PyBytes_Size     (2.7: PyString_Size)      mov  [op + offsetof(ob_size)]
#   PyUnicode_GetLength (2.7: PyUnicodeUCS4_GetSize / PyUnicodeUCS2_GetSize)
#                                              mov  [op + offsetof(length)]
# and on the way the type check reads ob_type ([op + offsetof(ob_type)]) and tests one
# byte of tp_flags (Py_TPFLAGS_BYTES_SUBCLASS is bit 27 = bit 3 of byte 3, so the byte
# tested is tp_flags + 3; Py_TPFLAGS_UNICODE_SUBCLASS is bit 28 = bit 4 of byte 3).
# 3.3-3.11 PyUnicode_GetLength also tests the "ready" bit (bit 7: the sign of the state
# byte) before it reads the length; 3.12+ and 2.7 have no such check.
#
# Compiled into carver (crvi_code_layout), so that a scan can confirm or derive the layout
# of an unknown build; `carver sig signatures/ --pid N` runs them too and prints a
# "layout" record. Shapes seen: Debian 2.7, 3.9, 3.11, 3.13, 3.14, 3.15 (x86-64), Debian
# i386 2.7, 3.11, 3.14, pyenv 3.6-3.13 shared libpython builds (gcc -O3 -fPIC).

# ---- x86-64 (System V: the object arrives in rdi) ----------------------------------------

signature cpython.bytes.ob_sval.x86-64
description PyBytes_AsString returns op->ob_sval: the lea displacement is offsetof(PyBytesObject, ob_sval)
arch x86-64
symbol PyBytes_AsString PyString_AsString
window 6
fact object.ob_type = $OBT
fact type.tp_flags = $FL - 3
fact bytes.ob_sval = $SVAL
code
  mov %t:64, qword [rdi + $OBT:4..64]
  ... 2
  test byte [%t + $FL:0x80..0x200], 8
  j*
  ... 2
  lea rax, [rdi + $SVAL:8..128]
end

signature cpython.bytes.ob_sval.early.x86-64
description PyBytes_AsString (2.7: PyString_AsString), the result computed before the type test (pyenv 2.7)
arch x86-64
symbol PyBytes_AsString PyString_AsString
window 6
fact object.ob_type = $OBT
fact type.tp_flags = $FL - 3
fact bytes.ob_sval = $SVAL
code
  mov %t:64, qword [rdi + $OBT:4..64]
  lea rax, [rdi + $SVAL:8..128]
  test byte [%t + $FL:0x80..0x200], 8
end

signature cpython.bytes.ob_size.x86-64
description PyBytes_Size returns Py_SIZE(op): the mov displacement is offsetof(PyVarObject, ob_size)
arch x86-64
symbol PyBytes_Size PyString_Size
window 6
fact object.ob_type = $OBT
fact type.tp_flags = $FL - 3
fact bytes.ob_size = $SIZE
code
  mov %t:64, qword [rdi + $OBT:4..64]
  ... 2
  test byte [%t + $FL:0x80..0x200], 8
  j*
  ... 2
  mov rax, qword [%* + $SIZE:8..128]
end

signature cpython.str.length.ready.x86-64
description PyUnicode_GetLength of 3.3-3.11: checks the ready bit (sign of the state byte), then returns the length field
arch x86-64
symbol PyUnicode_GetLength
window 6
fact object.ob_type = $OBT
fact type.tp_flags = $FL - 3
fact str.state = $ST
fact str.ready_check = 1
fact str.length = $LEN
code
  mov %t:64, qword [rdi + $OBT:4..64]
  ... 2
  test byte [%t + $FL:0x80..0x200], 0x10
  j*
  cmp byte [%* + $ST:8..128], 0
  ... 2
  jns
  mov rax, qword [%* + $LEN:8..128]
end

signature cpython.str.length.x86-64
description PyUnicode_GetLength of 3.12+ (2.7: PyUnicodeUCS4_GetSize): returns the length field, no ready check
arch x86-64
symbol PyUnicode_GetLength PyUnicodeUCS4_GetSize PyUnicodeUCS2_GetSize
window 6
fact object.ob_type = $OBT
fact type.tp_flags = $FL - 3
fact str.ready_check = 0
fact str.length = $LEN
code
  mov %t:64, qword [rdi + $OBT:4..64]
  ... 2
  test byte [%t + $FL:0x80..0x200], 0x10
  j*
  ... 2 !cmp
  mov rax, qword [%* + $LEN:8..128]
end

# ---- x86-32 (cdecl: the object is the first stack argument) ------------------------------

signature cpython.bytes.ob_sval.x86-32
description PyBytes_AsString, i386, the pointer advanced before the type test: add op, offsetof(ob_sval)
arch x86-32
symbol PyBytes_AsString PyString_AsString
window 8
fact object.ob_type = $OBT
fact type.tp_flags = $FL - 3
fact bytes.ob_sval = $SVAL
code
  mov %o:32, dword [esp + $*]
  mov %t:32, dword [%o + $OBT:2..32]
  add %o, $SVAL:4..64
  test byte [%t + $FL:0x40..0x100], 8
end

signature cpython.bytes.ob_sval.late.x86-32
description PyBytes_AsString (2.7: PyString_AsString), i386, the pointer advanced after the type test
arch x86-32
symbol PyBytes_AsString PyString_AsString
window 8
fact object.ob_type = $OBT
fact type.tp_flags = $FL - 3
fact bytes.ob_sval = $SVAL
code
  mov %o:32, dword [esp + $*]
  mov %t:32, dword [%o + $OBT:2..32]
  test byte [%t + $FL:0x40..0x100], 8
  j*
  ... 2
  add %o, $SVAL:4..64
end

signature cpython.bytes.ob_size.x86-32
description PyBytes_Size (2.7: PyString_Size), i386: returns Py_SIZE(op)
arch x86-32
symbol PyBytes_Size PyString_Size
window 8
fact object.ob_type = $OBT
fact type.tp_flags = $FL - 3
fact bytes.ob_size = $SIZE
code
  mov %o:32, dword [esp + $*]
  mov %t:32, dword [%o + $OBT:2..32]
  test byte [%t + $FL:0x40..0x100], 8
  j*
  ... 2
  mov eax, dword [%o + $SIZE:4..64]
end

signature cpython.str.length.ready.x86-32
description PyUnicode_GetLength of 3.3-3.11, i386: ready bit, then the length field
arch x86-32
symbol PyUnicode_GetLength
window 8
fact object.ob_type = $OBT
fact type.tp_flags = $FL - 3
fact str.state = $ST
fact str.ready_check = 1
fact str.length = $LEN
code
  mov %o:32, dword [esp + $*]
  mov %t:32, dword [%o + $OBT:2..32]
  test byte [%t + $FL:0x40..0x100], 0x10
  j*
  cmp byte [%o + $ST:4..64], 0
  ... 2
  jns
  mov eax, dword [%o + $LEN:4..64]
end

signature cpython.str.length.x86-32
description PyUnicode_GetLength of 3.12+ (2.7: PyUnicodeUCS4_GetSize), i386: the length field, no ready check
arch x86-32
symbol PyUnicode_GetLength PyUnicodeUCS4_GetSize PyUnicodeUCS2_GetSize
window 8
fact object.ob_type = $OBT
fact type.tp_flags = $FL - 3
fact str.ready_check = 0
fact str.length = $LEN
code
  mov %o:32, dword [esp + $*]
  mov %t:32, dword [%o + $OBT:2..32]
  test byte [%t + $FL:0x40..0x100], 0x10
  j*
  ... 2 !cmp
  mov eax, dword [%o + $LEN:4..64]
end
