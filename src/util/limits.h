/* SPDX-License-Identifier: MIT */
/* Every cap carver applies to untrusted input, in one place, each with its reason. */
#ifndef CARVER_LIMITS_H
#define CARVER_LIMITS_H

/* Default cap on an object's value in bytes (length * kind). Larger candidates are not
 * reported; the summary counts them (over_cap) so the user can raise --max-len. */
#define CRV_DEFAULT_MAX_VALUE (16u << 20)
/* Hard ceiling for --max-len: the value buffer is allocated up to this size. */
#define CRV_MAX_VALUE_CEILING (256u << 20)
/* Read granularity of the scanner; tests shrink it to exercise chunk boundaries. */
#define CRV_DEFAULT_CHUNK (4u << 20)
#define CRV_MIN_CHUNK 64u
/* Header bytes kept before a chunk so that an object whose type word opens a chunk
 * still sees its refcount (the largest header offset of ob_type is 24). */
#define CRV_CHUNK_LOOKBEHIND 64u
/* Bytes read past a chunk end in the same read, so most objects validate in place. */
#define CRV_CHUNK_LOOKAHEAD 4096u
/* With a reader thread: windows read ahead, in all (at least two chunks, at most 64). */
#define CRV_READAHEAD_BYTES (4u << 20)
/* ... and their hits validated ahead, in all (more hits are validated by the caller). */
#define CRV_JUDGE_AHEAD_BYTES (4u << 20)
/* Number of dump files / regions accepted in one address space. */
#define CRV_MAX_REGIONS 65536u
/* Longest line accepted in a /proc/PID/maps copy, and longest path kept from it. */
#define CRV_MAX_MAPS_LINE 8192u
/* Largest maps file read (a real one is well under 1 MiB even for huge processes). */
#define CRV_MAX_MAPS_FILE (64u << 20)
/* Longest tp_name read when checking a type object. */
#define CRV_MAX_TP_NAME 32u
/* Size of the neighbourhood around the interpreter's type objects searched for the
 * version text and the _Py_DebugOffsets cookie. */
#define CRV_MAX_IMAGE_SEARCH (64u << 20)
/* Regions larger than this are searched for PyType_Type only if smaller ones had none
 * (static type objects live in the interpreter image's small data mapping). */
#define CRV_TYPE_SEARCH_SMALL_REGION (64ull << 20)
/* Self-referential type-object candidates kept while searching for PyType_Type. */
#define CRV_MAX_TYPE_CANDIDATES 4096u
/* Credentials (src/creds): bytes of one carved value examined (a request head is small;
 * bigger values are bodies or files, whose heads are at the start). */
#define CRV_CREDS_MAX_SCAN (4u << 20)
/* Distinct credentials kept by the merge table; more are counted as dropped. */
#define CRV_CREDS_MAX_ENTRIES 4096u
/* Addresses listed per credential (its count stays exact). */
#define CRV_CREDS_MAX_ADDRS 256u
/* Longest user, password or token kept (a large JWT or cookie is about 4 KiB). */
#define CRV_CREDS_MAX_FIELD 8192u
/* Longest request line, status line, Host value or URL kept as context. */
#define CRV_CREDS_MAX_CONTEXT 2048u
/* Total bytes of strings the merge table holds. */
#define CRV_CREDS_MAX_BYTES (16u << 20)
/* Matches of one pattern looked at in one value (a value with thousands of header lines
 * is not a request head). */
#define CRV_CREDS_MAX_MATCHES 256u
/* pcre2 match limit: every pattern is linear, this only stops a pathological input. */
#define CRV_CREDS_MATCH_LIMIT 1000000u
/* Triage (src/triage): largest msgpack record read back. A record holds one value of at
 * most --max-len bytes of code units, whose UTF-8 is at most twice that (latin-1), plus a
 * few hundred bytes of keys; anything bigger ends the usable stream. --max-record raises
 * the default up to the ceiling. */
#define CRV_TRIAGE_MAX_RECORD (2u * CRV_DEFAULT_MAX_VALUE + (1u << 20))
#define CRV_TRIAGE_MAX_RECORD_CEILING (2ull * CRV_MAX_VALUE_CEILING + (1u << 20))
/* msgpack objects in one record: msgpack-c allocates an array's or map's slots as soon as
 * it reads the count, so counts are checked against this before it sees a record. A
 * credential record with CRV_CREDS_MAX_ADDRS addresses has a few hundred. */
#define CRV_TRIAGE_MAX_NODES 65536u
/* Nesting depth of one record (records are flat maps holding small arrays). */
#define CRV_TRIAGE_MAX_DEPTH 16u
/* Bytes read from an input at a time. */
#define CRV_TRIAGE_READ_CHUNK (256u << 10)
/* Distinct keys counted exactly per summary table (types, statuses, regions, URLs, paths,
 * repeated values, credentials); past it the table keeps the most frequent ones
 * (Space-Saving: counts become upper bounds, marked approximate). */
#define CRV_TRIAGE_TABLE_CAP 4096u
#define CRV_TRIAGE_REGION_CAP 16384u
/* The table of repeated values sees every value, most of them unique: a larger cap (with
 * a shorter display prefix, CRV_TRIAGE_REPEAT_KEEP) keeps its counts exact for streams of
 * up to this many distinct values, about 16 MiB at most. */
#define CRV_TRIAGE_REPEAT_CAP 65536u
#define CRV_TRIAGE_REPEAT_KEEP 160u
/* Bytes of a value kept for display in a summary table. */
#define CRV_TRIAGE_KEEP_BYTES 512u
/* Rows shown per summary table (--top): default and ceiling. */
#define CRV_TRIAGE_TOP_DEFAULT 20u
#define CRV_TRIAGE_TOP_MAX 1000u
/* Meta records described per input (a stream normally has one). */
#define CRV_TRIAGE_MAX_METAS 16u
/* Bytes of one meta record's JSON kept for the reports. */
#define CRV_TRIAGE_META_JSON (64u << 10)
/* Regions drawn as bands in the HTML address-space picture (the first ones seen), the
 * buckets of each band, and the credential addresses placed on them. */
#define CRV_TRIAGE_MAX_BANDS 64u
#define CRV_TRIAGE_BAND_BUCKETS 256u
#define CRV_TRIAGE_MAX_POINTS 4096u
/* Object rows in the HTML report's searchable table; characters of a value shown there. */
#define CRV_TRIAGE_HTML_ROWS 20000u
#define CRV_TRIAGE_HTML_VALUE 200u
/* Bytes of those rows held in memory until the page is written. */
#define CRV_TRIAGE_HTML_BYTES (32u << 20)

/* ---- grep (src/search) ---- */
/* Patterns in one run (-e, -f): each is matched over all of memory. */
#define CRV_MAX_PATTERNS 256u
/* Longest pattern text (-e, a line of -f FILE), and the largest -f FILE read. */
#define CRV_MAX_PATTERN_LEN 65536u
#define CRV_MAX_PATTERN_FILE (4u << 20)
/* Raw search: matches up to --max-match are exact at any chunk size; longer ones are cut.
 * The ceiling bounds the window buffer allocated for one long match. */
#define CRV_GREP_DEFAULT_MAX_MATCH (64u << 10)
#define CRV_GREP_MAX_MATCH_CEILING (16u << 20)
/* Bytes read past a chunk's end with it, so that most matches complete in place. */
#define CRV_GREP_LOOKAHEAD 4096u
/* Longest lookbehind a pattern may have: that many bytes are read before each chunk. */
#define CRV_GREP_MAX_LOOKBEHIND 4096u
/* PCRE2 backtracking budget per search: hostile memory must not stall a scan. */
#define CRV_GREP_MATCH_LIMIT 10000000u
#define CRV_GREP_DEPTH_LIMIT 100000u
/* JIT machine stack (the default 32 KiB fails on nested groups). */
#define CRV_GREP_JIT_STACK (1u << 20)
/* Matches buffered per chunk to sort them by address; past it they are written unsorted. */
#define CRV_GREP_CHUNK_HITS 65536u
/* Characters (text) or bytes of a match written to its record (--max-text), and of
 * context on each side (-C). */
#define CRV_GREP_DEFAULT_TEXT 4096u
#define CRV_GREP_MAX_TEXT (1u << 20)
#define CRV_GREP_MAX_CONTEXT 4096u

/* ---- sig (src/disasm) ---- */
/* Largest signature file, signatures loaded, instruction lines in one signature. */
#define CRV_SIG_MAX_FILE (1u << 20)
#define CRV_SIG_MAX_SIGS 4096u
#define CRV_SIG_MAX_LINES 64u
/* Longest gap ("... N") and the instructions decoded after an exported symbol. */
#define CRV_SIG_MAX_GAP 256u
#define CRV_SIG_MAX_WINDOW 4096u
/* Instructions decoded per block of a linear sweep (the block keeps a tail of
 * CRV_SIG_MAX_LINES * (CRV_SIG_MAX_GAP + 1) for patterns that cross it). */
#define CRV_SIG_BLOCK_INSNS 65536u
/* Matches reported per signature and mapping (a signature matching everywhere is broken). */
#define CRV_SIG_MAX_HITS 1000u
/* Dynamic-symbol table read from a mapped ELF image: entries and string bytes. */
#define CRV_SIG_MAX_DYNSYMS (1u << 20)
#define CRV_SIG_MAX_DYNSTR (16u << 20)
/* Page blobs read by carver scan --wkdm / carver wkdm: each decompresses to 4 KiB held in
 * memory, so 2^20 pages are 4 GiB (a macOS compressor pool of that size is already large). */
#define CRV_MAX_WKDM_PAGES (1u << 20)
/* Directory nesting walked under a page-blob input (Rekall trees are DIR/segmentN/slotM). */
#define CRV_MAX_WKDM_DEPTH 8u
/* Largest wkdm-addresses.txt sidecar read: a line per page is about 60 bytes. */
#define CRV_MAX_WKDM_SIDECAR (256u << 20)
#endif
