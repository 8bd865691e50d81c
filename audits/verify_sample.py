"""Re-check a CaseAssure sample with nothing but Python 3.

Usage: python verify_sample.py FRAME.csv[.gz] SEED STRATUM=N [STRATUM=N ...]

FRAME is the cycle's stored frame: CSV with header case_ref,stratum, plain or gzip.
Prints the frame hash (SHA-256 of the UTF-8 lines "case_ref,stratum" sorted by case_ref,
each ending in a newline), then per stratum the N cases with the smallest selection key
sha256("SEED:case_ref"), in key order, with their rank and key.
"""

import csv
import gzip
import hashlib
import io
import pathlib
import sys

frame_path, seed, *allocation = sys.argv[1:]
if not seed or any(int(argument.rsplit("=", 1)[1]) < 0 for argument in allocation):
    sys.exit("the seed must not be empty and no sample size may be negative")
data = pathlib.Path(frame_path).read_bytes()
if data[:2] == b"\x1f\x8b":  # the gzip signature: accept the file as downloaded or unpacked
    data = gzip.decompress(data)
reader = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
if next(reader) != ["case_ref", "stratum"]:
    sys.exit("the first line must be the header case_ref,stratum")
rows = sorted((case_ref, stratum) for case_ref, stratum in reader)
if len({case_ref for case_ref, _ in rows}) != len(rows):
    sys.exit("a case_ref is in the frame more than once")
frame_lines = "".join(f"{case_ref},{stratum}\n" for case_ref, stratum in rows)
print("frame_hash:", hashlib.sha256(frame_lines.encode()).hexdigest())
print("stratum,rank,case_ref,selection_key")
for stratum, size in (argument.rsplit("=", 1) for argument in allocation):
    refs = [case_ref for case_ref, case_stratum in rows if case_stratum == stratum]
    keyed = sorted((hashlib.sha256(f"{seed}:{ref}".encode()).hexdigest(), ref) for ref in refs)
    for rank, (key, case_ref) in enumerate(keyed[: int(size)], start=1):
        print(f"{stratum},{rank},{case_ref},{key}")
