"""Re-check a CaseAssure sample with nothing but Python 3 (run it as python3 -I).

Usage: python3 -I verify_sample.py FRAME SAMPLE --frame-hash HEX --seed HEX
           [--server-random HEX --witness-input TEXT]

FRAME: the cycle's frame, CSV case_ref,stratum (plain or gzip). SAMPLE: the sample on
record, CSV stratum,rank,case_ref (every drawn rank, replaced cases included). Checks that
the frame hash is SHA-256 of the UTF-8 lines "case_ref,stratum\\n" sorted by case_ref; that
the seed is SHA-256 of the ASCII "frame_hash\\nserver_random\\nwitness_input"; and that
each stratum's N sampled cases are its N smallest keys sha256("seed:case_ref") in key
order. Prints what differed and exits 1 on any mismatch, 0 when everything matches.
"""

import argparse
import csv
import gzip
import hashlib
import io
import pathlib
import sys


def read_csv(path, header):
    data = pathlib.Path(path).read_bytes()
    if data[:2] == b"\x1f\x8b":  # gzip: the file as downloaded, or unpacked
        data = gzip.decompress(data)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    if not rows or rows[0] != header or any(len(row) != len(header) for row in rows[1:]):
        sys.exit(f"{path}: expected the header {','.join(header)} and {len(header)} fields a line")
    return rows[1:]


parser = argparse.ArgumentParser(description="Re-check a CaseAssure sample.")
parser.add_argument("frame")
parser.add_argument("sample")
parser.add_argument("--frame-hash", required=True)
parser.add_argument("--seed", required=True)
parser.add_argument("--server-random")
parser.add_argument("--witness-input", default="")
args = parser.parse_args()
frame = sorted((ref, stratum) for ref, stratum in read_csv(args.frame, ["case_ref", "stratum"]))
if len({ref for ref, _ in frame}) != len(frame):
    sys.exit("a case_ref is in the frame more than once")
problems = []
lines = "".join(f"{ref},{stratum}\n" for ref, stratum in frame)
computed_hash = hashlib.sha256(lines.encode()).hexdigest()
print("frame hash:", computed_hash)
if computed_hash != args.frame_hash:
    problems.append(f"frame hash: computed {computed_hash}, expected {args.frame_hash}")
if args.server_random is not None:
    parts = f"{args.frame_hash}\n{args.server_random}\n{args.witness_input}"
    computed_seed = hashlib.sha256(parts.encode("ascii")).hexdigest()
    print("seed from its parts:", computed_seed)
    if computed_seed != args.seed:
        problems.append(f"seed: computed from its parts {computed_seed}, expected {args.seed}")
expected = {}
for stratum, _rank, ref in sorted(
    read_csv(args.sample, ["stratum", "rank", "case_ref"]), key=lambda row: (row[0], int(row[1]))
):
    expected.setdefault(stratum, []).append(ref)
print("stratum,rank,case_ref,selection_key")
for stratum, refs in expected.items():
    keyed = sorted(
        (hashlib.sha256(f"{args.seed}:{ref}".encode()).hexdigest(), ref)
        for ref, ref_stratum in frame
        if ref_stratum == stratum
    )[: len(refs)]
    for rank, (key, ref) in enumerate(keyed, start=1):
        print(f"{stratum},{rank},{ref},{key}")
    if [ref for _, ref in keyed] != refs:
        problems.append(f"stratum {stratum}: computed {[r for _, r in keyed]}, on record {refs}")
for problem in problems:
    print("MISMATCH", problem, file=sys.stderr)
print("MISMATCH" if problems else "MATCH: frame hash, seed and sample all agree")
sys.exit(1 if problems else 0)
