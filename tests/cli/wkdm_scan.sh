# SPDX-License-Identifier: MIT
# Carving compressed memory: every Python sample (samples/*.tar.xz) is compressed page by
# page into a Rekall-style tree (xnu layout, with the wkdm-addresses.txt sidecar) and
# `carver wkdm scan` must report exactly the objects a scan of the raw dump reports (same
# addresses, types, values, statuses), each naming its blob (region) and the offset in its
# page consistently with the sidecar. The type objects are in compressed pages too, so the
# interpreter is found in the decompressed pages. Without the sidecar (synthetic addresses,
# blobs in a shuffled order) the values found must be a subset of the raw ones covering at
# least 90% of the live and 80% of all values (what is lost is printed). Also: the classic
# layout, msgpack and text output, and `carver scan --wkdm` when that option exists.
# Usage: sh wkdm_scan.sh CARVER_BIN WORK_DIR SOURCE_DIR
. "$(dirname "$0")/lib.inc"

check() { "$PYTHON3" "$HERE/wkdm_check.py" "$@"; }

samples=$(ls "$SRC"/samples/*.tar.xz 2>/dev/null)
[ -n "$samples" ] || skip "no samples/*.tar.xz"

for tarball in $samples; do
  name=$(basename "$tarball" .tar.xz)
  case $name in perl | node) continue ;; esac
  tar -xJf "$tarball" || { bad "$name: cannot extract"; continue; }
  run "raw-$name" scan "$name" --format jsonl -o "$name.raw.jsonl"
  expect_rc "raw-$name" 0 "$name: scan of the raw dump" || continue
  run "tree-$name" wkdm compress --apple --tree "$name.tree" "$name"
  expect_rc "tree-$name" 0 "$name: compress --apple --tree" || continue
  run "w-$name" wkdm scan "$name.tree" --format jsonl -o "$name.w.jsonl"
  no_crash "w-$name" || continue
  expect_rc "w-$name" 0 "$name: wkdm scan of the tree" || continue
  if check compare "$name.raw.jsonl" "$name.w.jsonl" "$name.tree" >"cmp-$name.log"; then
    ok "$name: $(head -n 1 "cmp-$name.log")"
  else
    bad "$name: the scans differ"
    sed 's/^/   | /' "cmp-$name.log"
  fi
  case $name in
  py311 | py27 | i386-py311 | py314)
    run "st-$name" wkdm compress --apple --no-addresses --shuffle 3 --tree "$name.stree" "$name"
    expect_rc "st-$name" 0 "$name: a shuffled tree without addresses" || continue
    run "sw-$name" wkdm scan -v "$name.stree" --format jsonl -o "$name.sw.jsonl"
    no_crash "sw-$name" || continue
    expect_rc "sw-$name" 0 "$name: wkdm scan with synthetic addresses" || continue
    grep -q 'page-relative' "sw-$name.err" && ok "$name: types found page by page" ||
      bad "$name: -v does not say the types were found page by page"
    if check compare "$name.raw.jsonl" "$name.sw.jsonl" "$name.stree" --min-live 0.9 \
      --min-all 0.8 >"scmp-$name.log"; then
      ok "$name: $(head -n 1 "scmp-$name.log")"
      sed -n '2,$p' "scmp-$name.log" | sed 's/^/   | /'
    else
      bad "$name: synthetic addresses"
      sed 's/^/   | /' "scmp-$name.log"
    fi
    ;;
  esac
  [ "$name" = py311 ] || rm -rf "$name" "$name.tree" "$name.stree"
done

note "py311: classic layout, other formats, error paths"
run ct wkdm compress --classic --tree py311.ctree py311
run cw wkdm scan py311.ctree --classic --format jsonl -o py311.cw.jsonl
expect_rc cw 0 "wkdm scan --classic of a classic tree" &&
  check compare py311.raw.jsonl py311.cw.jsonl py311.ctree >cw.log && ok "classic tree: $(head -n 1 cw.log)" ||
  bad "classic tree: $(head -n 1 cw.log 2>/dev/null)"
run ca wkdm scan py311.ctree --apple --format jsonl -o py311.ca.jsonl
expect_error ca 3 "--apple on a classic tree: no blob decodes"
run mp wkdm scan py311.tree -o py311.w.msgpack
if expect_rc mp 0 "msgpack output"; then
  "$PYTHON3" "$HERE/records.py" stream py311.w.msgpack msgpack >mp.log &&
    ok "msgpack stream: $(cat mp.log)" || bad "msgpack stream: $(cat mp.log)"
fi
run tx wkdm scan py311.tree --format text
if expect_rc tx 0 "text output"; then
  grep -q ' in segment[0-9]*/slot[0-9]*\.dmp+0x' tx.out && ok "text names blob+offset" ||
    bad "text output does not name the blob and offset"
fi
run ex wkdm scan py311.tree -o py311.w.jsonl
expect_error ex 5 "an existing output file"
# a corrupt blob is skipped with a warning, the rest is carved
cp -r py311.tree bad.tree
printf 'garbage' >bad.tree/segment0/slot3.dmp
run bt wkdm scan bad.tree --format jsonl -o bad.jsonl
if expect_rc bt 0 "a tree with one corrupt blob"; then
  grep -q 'slot3.dmp: skipped' bt.err && ok "the corrupt blob is named in a warning" ||
    bad "no warning for the corrupt blob"
fi
# sidecar problems are input errors
cp -r py311.tree side.tree
printf 'segment0/slot0.dmp zz\n' >side.tree/wkdm-addresses.txt
run sd wkdm scan side.tree --format jsonl -o side.jsonl
expect_error sd 3 "a malformed sidecar line"
printf 'segment0/slot0.dmp 0x1000\nsegment0/slot1.dmp 0x1000\n' >side.tree/wkdm-addresses.txt
run sd2 wkdm scan side.tree --format jsonl -o side2.jsonl
expect_error sd2 3 "two blobs claiming one page"
printf 'segment0/slot0.dmp 0x1001\n' >side.tree/wkdm-addresses.txt
run sd3 wkdm scan side.tree --format jsonl -o side3.jsonl
expect_error sd3 3 "an unaligned page address"
mkdir empty.tree
run et wkdm scan empty.tree --format jsonl -o empty.jsonl
expect_error et 3 "a directory without blobs"
run nx wkdm scan does-not-exist --format jsonl -o nx.jsonl
expect_error nx 3 "a missing input"
run u1 wkdm scan --pid 1 py311.tree
expect_usage u1 "--pid is no option of wkdm scan"
run u2 wkdm scan --types 0x1,0x2 py311.tree --format jsonl
expect_usage u2 "--types without --python"
run u3 wkdm scan --classic --apple py311.tree --format jsonl
expect_usage u3 "--classic with --apple"
# the types given by hand (from the raw scan's meta) work with synthetic addresses
types=$("$PYTHON3" -c 'import json,sys; m=json.loads(open(sys.argv[1]).readline()); print("0x%x,0x%x" % (m["str_type"], m["bytes_type"]))' py311.raw.jsonl)
run gt wkdm scan py311.stree --types "$types" --python 3.11 --format jsonl -o gt.jsonl
if expect_rc gt 0 "--types $types --python 3.11 on synthetic addresses"; then
  check compare py311.raw.jsonl gt.jsonl py311.stree --min-live 0.9 --min-all 0.8 >gt.log &&
    ok "--types: $(head -n 1 gt.log)" || bad "--types: $(head -n 1 gt.log)"
fi

if "$CARVER" scan --help 2>/dev/null | grep -q -e '--wkdm'; then
  run sc scan --wkdm py311.tree --format jsonl -o sc.jsonl
  expect_rc sc 0 "carver scan --wkdm" && check compare py311.raw.jsonl sc.jsonl py311.tree >sc.log &&
    ok "scan --wkdm: $(head -n 1 sc.log)" || bad "scan --wkdm: $(head -n 1 sc.log 2>/dev/null)"
else
  note "carver scan has no --wkdm option yet: only 'carver wkdm scan' is checked"
fi
finish
