# Heartbleed (CVE-2014-0160): tls1_process_heartbeat and dtls1_process_heartbeat of
# OpenSSL 1.0.1 through 1.0.1f trust the payload length of a heartbeat request.
#
# Written from the two code shapes (not from any binary's bytes):
#
#   vulnerable (1.0.1-1.0.1f)                 fixed (1.0.1g)
#   hbtype = *p++;                            if (s->msg_callback) s->msg_callback(...);
#   n2s(p, payload);        <- read first     if (1 + 2 + 16 > s->s3->rrec.length) return 0;
#   pl = p;                                   hbtype = *p++;
#   if (s->msg_callback)                      n2s(p, payload);       <- read after the call
#     s->msg_callback(...); <- indirect call  if (1 + 2 + payload + 16 > s->s3->rrec.length)
#   if (hbtype == TLS1_HB_REQUEST) {             return 0;
#     buffer = OPENSSL_malloc(1 + 2 + payload + padding);   (the same from here on)
#     *bp++ = TLS1_HB_RESPONSE;
#
# In the vulnerable function the 16-bit big-endian payload length (n2s of data[1..2]) is
# loaded BEFORE the call through s->msg_callback: a compiler cannot move that load after
# an opaque call, nor move the fixed function's load (which follows the call in the
# source) before it. So: the length load, an indirect call soon after, then the response
# allocation malloc(payload + 0x13) (1 + 2 + 16 bytes of padding) followed by the store of
# TLS1_HB_RESPONSE (2) into the new buffer. The fixed function has the same allocation but
# no indirect call after its length load, and is not matched.
#
# gcc -O1 loads n2s byte by byte (movzx + shl + or); gcc >= 5 at -O2/-O3/-Os loads one
# big-endian word (movzx word + rol 8). -O0 builds are not covered. The signatures are
# anchored to libssl; for a statically linked OpenSSL, copy them without the library line.

signature openssl.heartbleed.word.x86-64
description OpenSSL 1.0.1-1.0.1f tls1/dtls1_process_heartbeat: payload length used without a bounds check (CVE-2014-0160)
severity high
reference CVE-2014-0160
reference https://www.openssl.org/news/secadv/20140407.txt
arch x86-64
library (^|/)libssl[^/]*$
code
  movzx|mov %*, word [%rec + 1]          # n2s(p, payload) right after hbtype = *p++
  ... 24
  call %*:64 || call qword [*]           # s->msg_callback(...): after the length was read
  ... 40
  add %*:32, 0x13 || lea %*:32, [%* + 0x13]   # 1 + 2 + payload + 16
  ... 6
  call *                                  # OPENSSL_malloc
  ... 6
  mov byte [%*], 2                        # *bp++ = TLS1_HB_RESPONSE
end

signature openssl.heartbleed.bytes.x86-64
description OpenSSL 1.0.1-1.0.1f tls1/dtls1_process_heartbeat: payload length used without a bounds check (CVE-2014-0160)
severity high
reference CVE-2014-0160
reference https://www.openssl.org/news/secadv/20140407.txt
arch x86-64
library (^|/)libssl[^/]*$
code
  movzx %*, byte [%rec + 1]              # n2s(p, payload): p[1] << 8 | p[2]
  ... 3
  movzx %*, byte [%rec + 2]
  ... 24
  call %*:64 || call qword [*]
  ... 40
  add %*:32, 0x13 || lea %*:32, [%* + 0x13]
  ... 6
  call *
  ... 6
  mov byte [%*], 2
end

signature openssl.heartbleed.word.x86-32
description OpenSSL 1.0.1-1.0.1f tls1/dtls1_process_heartbeat, i386: payload length used without a bounds check (CVE-2014-0160)
severity high
reference CVE-2014-0160
reference https://www.openssl.org/news/secadv/20140407.txt
arch x86-32
library (^|/)libssl[^/]*$
code
  movzx|mov %*, word [%rec + 1]
  ... 24
  call %*:32 || call dword [*]
  ... 40
  add %*:32, 0x13 || lea %*:32, [%* + 0x13]
  ... 8
  call *
  ... 6
  mov byte [%*], 2
end

signature openssl.heartbleed.bytes.x86-32
description OpenSSL 1.0.1-1.0.1f tls1/dtls1_process_heartbeat, i386: payload length used without a bounds check (CVE-2014-0160)
severity high
reference CVE-2014-0160
reference https://www.openssl.org/news/secadv/20140407.txt
arch x86-32
library (^|/)libssl[^/]*$
code
  movzx %*, byte [%rec + 1]
  ... 3
  movzx %*, byte [%rec + 2]
  ... 24
  call %*:32 || call dword [*]
  ... 40
  add %*:32, 0x13 || lea %*:32, [%* + 0x13]
  ... 8
  call *
  ... 6
  mov byte [%*], 2
end
