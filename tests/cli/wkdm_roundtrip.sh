# SPDX-License-Identifier: MIT
# WKdm round trip on real interpreter memory: every whole 4 KiB page of every sample dump
# (samples/*.tar.xz) is compressed into a Rekall-style tree (classic and xnu layouts),
# decompressed back into dump files by carver, and compared byte for byte; a share of the
# blobs of four samples is also decoded by an independent reference decoder
# (wkdm_check.py) and compared with the original pages; single blobs go through
# compress/decompress and every layout option. Prints the compressed size per sample.
# Usage: sh wkdm_roundtrip.sh CARVER_BIN WORK_DIR SOURCE_DIR
. "$(dirname "$0")/lib.inc"

check() { "$PYTHON3" "$HERE/wkdm_check.py" "$@"; }

samples=$(ls "$SRC"/samples/*.tar.xz 2>/dev/null)
[ -n "$samples" ] || skip "no samples/*.tar.xz"

total_pages=0
total_pct=
for tarball in $samples; do
  name=$(basename "$tarball" .tar.xz)
  tar -xJf "$tarball" || { bad "$name: cannot extract"; continue; }
  for variant in classic apple; do
    run "c-$name-$variant" wkdm compress "--$variant" --tree "tree-$name-$variant" "$name"
    no_crash "c-$name-$variant" || continue
    expect_rc "c-$name-$variant" 0 "$name: compress --$variant --tree" || continue
    run "d-$name-$variant" wkdm decompress --dumps "dumps-$name-$variant" "tree-$name-$variant"
    no_crash "d-$name-$variant" || continue
    expect_rc "d-$name-$variant" 0 "$name: decompress --dumps ($variant tree)" || continue
    if check pages "$name" "dumps-$name-$variant" >"p-$name-$variant.log"; then
      ok "$name ($variant): $(tail -n 1 "p-$name-$variant.log"); $(sed -n 's/^carver: //p' "c-$name-$variant.err" | tail -n 1)"
    else
      bad "$name ($variant): pages differ"
      sed 's/^/   | /' "p-$name-$variant.log"
    fi
    # WKdm keeps 2 bits per zero word, 6 per repeat, 16 per near-pointer: heap pages full
    # of text and random bytes land well above the 25-50% of pointer-rich pages.
    pct=$(sed -n 's/.* MB of blobs (\([0-9]*\)\.[0-9]%).*/\1/p' "c-$name-$variant.err" | tail -n 1)
    if [ -n "$pct" ] && [ "$pct" -ge 20 ] && [ "$pct" -le 85 ]; then
      total_pct="$total_pct $pct"
    else
      bad "$name ($variant): compressed size ${pct:-?}% of the pages, outside 20-85%"
    fi
    # The pure-Python reference decoder reads every 5th blob of four samples (one per
    # pointer size and family): 2.7, 3.11, 3.14 (64-bit) and 3.11 i386.
    case $name in
    py27 | py311 | py314 | i386-py311)
      if check refdecode "tree-$name-$variant" "$name" --every 5 >"r-$name-$variant.log"; then
        ok "$name ($variant): $(tail -n 1 "r-$name-$variant.log")"
      else
        bad "$name ($variant): reference decoder disagrees"
        sed 's/^/   | /' "r-$name-$variant.log"
      fi
      ;;
    esac
  done
  n=$(grep -c . "tree-$name-classic/wkdm-addresses.txt" 2>/dev/null || echo 1)
  total_pages=$((total_pages + n - 1))
  rm -rf "dumps-$name-classic" "dumps-$name-apple" "tree-$name-apple"
  [ "$name" = py311 ] || rm -rf "tree-$name-classic" "$name"
done
note "$total_pages pages round-tripped in each layout; compressed sizes (% of the pages):$total_pct"

note "single blobs: compress / decompress, every layout option"
blob=$(ls tree-py311-classic/segment3/slot*.dmp | head -n 1)
run dc1 wkdm decompress "$blob" -o page1
expect_rc dc1 0 "decompress a classic blob (layout detected)" && [ "$(wc -c <page1)" = 4096 ] &&
  ok "the page is 4096 bytes"
for v in classic apple; do
  run "c1-$v" wkdm compress "--$v" page1 -o "blob-$v"
  expect_rc "c1-$v" 0 "compress --$v one page" || continue
  run "d1-$v" wkdm decompress "--$v" "blob-$v" -o "page-$v"
  expect_rc "d1-$v" 0 "decompress --$v" && cmp -s page1 "page-$v" && ok "$v: the page comes back"
  run "d2-$v" wkdm decompress -v "blob-$v" -o "page2-$v"
  if expect_rc "d2-$v" 0 "decompress $v blob, layout detected" && cmp -s page1 "page2-$v"; then
    grep -q "carver: $v" "d2-$v.err" && ok "-v names the layout: $(head -n 1 "d2-$v.err")" ||
      bad "-v does not say $v: $(head -n 1 "d2-$v.err")"
  fi
done
run wrongv wkdm decompress --apple blob-classic -o page-w
expect_error wrongv 3 "a classic blob refused by --apple"
# xnu slot kinds: 4 bytes fill the page with one value; 4096 bytes that are no blob are it.
printf 'ABCD' >slot4
run s4 wkdm decompress slot4 -o page-s4
if expect_rc s4 0 "a 4-byte slot"; then
  i=0
  while [ $i -lt 1024 ]; do printf 'ABCD'; i=$((i + 1)); done >want-s4
  cmp -s want-s4 page-s4 && ok "4-byte slot: the value repeated over the page" ||
    bad "4-byte slot decoded wrong"
fi
run s4c wkdm decompress --classic slot4 -o page-s4c
expect_error s4c 3 "--classic: a 4-byte file is no blob"
run raw wkdm decompress page1 -o page-raw
expect_rc raw 0 "a 4096-byte slot that is no blob: the page itself" && cmp -s page1 page-raw &&
  ok "stored page comes back as is"
finish
