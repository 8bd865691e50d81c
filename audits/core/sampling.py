"""Sample selection: the pure, verifiable core of a draw (DESIGN.md section 4).

A case's selection key is ``sha256(f"{seed}:{case_ref}")``; in each stratum the ``n_h``
cases with the smallest keys are drawn, in key order. Because a case's key depends only on
the seed and its own reference, anyone holding the frame and the seed can recompute the
sample, raising ``n_h`` only appends ranks, and the order of the frame does not matter.

Nothing here touches the database: services load the frame, call these functions and store
what they return. ``verify_sample.py`` next to this module re-implements the same rule with
the standard library only, for internal audit.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import heapq
import io
import operator
import re
import secrets
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from importlib import resources
from typing import IO, Any

ALGORITHM_NAME = "sha256-smallest-key"
ALGORITHM_VERSION = "1"
SEED_ALGORITHM = "sha256(frame_hash LF server_random LF witness_input) v1"

# 256 bits from the operating system's secure generator (at least 128 are needed).
SERVER_RANDOM_BYTES = 32
WITNESS_INPUT_MAX_LENGTH = 100
# Plain ASCII letters, digits, spaces and hyphens: nothing a shell, a CSV file or a
# different Unicode normalisation could read two ways.
_WITNESS_ALPHABET = re.compile(r"[A-Za-z0-9 -]*")
_LOWER_HEX_64 = re.compile(r"[0-9a-f]{64}")

FRAME_CSV_HEADER = ("case_ref", "stratum")
FRAME_GZIP_LEVEL = 1

# A comma or line break would make "case_ref,stratum" lines ambiguous (two different frames,
# one hash); a double quote would make the stored CSV differ from the hashed lines. Refusing
# all four keeps `gzip -dc frame.csv.gz | tail -n +2 | sha256sum` equal to the frame hash.
_UNSAFE_IN_FRAME = re.compile(r'[,"\r\n]')


class SamplingError(ValueError):
    """The frame, allocation or seed cannot give a well-defined, verifiable sample."""


@dataclass(frozen=True, slots=True)
class Selected:
    """One drawn case: its stratum, its rank there (1 = smallest key) and the key itself."""

    case_ref: str
    stratum: str
    rank: int
    selection_key: str


@dataclass(frozen=True, slots=True)
class StratumCheck:
    """Recorded and recomputed case refs of one stratum, both in rank order."""

    stratum: str
    expected: list[str]
    recomputed: list[str]
    match: bool


@dataclass(frozen=True, slots=True)
class Verification:
    """The outcome of re-checking a draw; ``match`` is true only if everything agrees."""

    frame_hash_recorded: str
    frame_hash_recomputed: str
    frame_hash_match: bool
    strata: list[StratumCheck]
    match: bool
    # None for a draw recorded before seeds were derived from parts (nothing to recompute).
    seed_recomputed: str | None = None
    seed_match: bool | None = None

    @property
    def mismatched_strata(self) -> list[str]:
        """Names of the strata whose recomputed selection differs from the record."""
        return [check.stratum for check in self.strata if not check.match]

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data, for the API and the report."""
        return asdict(self)


def new_server_random() -> str:
    """Return 256 fresh bits from the operating system's secure generator, as lowercase hex.

    Read only once the frame is frozen and its hash recorded (commit, then reveal)."""
    return secrets.token_hex(SERVER_RANDOM_BYTES)


def clean_witness_input(raw: str | None) -> str:
    """Return the witness input with leading and trailing spaces removed ("" if none).

    Raises SamplingError unless it is at most 100 characters of A-Z, a-z, 0-9, space and
    hyphen, so it reads the same everywhere and is harmless inside a shell command."""
    text = (raw or "").strip(" ")
    if len(text) > WITNESS_INPUT_MAX_LENGTH:
        raise SamplingError(
            f"the witness input must be at most {WITNESS_INPUT_MAX_LENGTH} characters"
        )
    if not _WITNESS_ALPHABET.fullmatch(text):
        raise SamplingError(
            "the witness input may hold only letters A to Z, digits 0 to 9, spaces and hyphens"
        )
    return text


def seed_from_parts(*, frame_hash: str, server_random: str, witness_input: str) -> str:
    """Return the draw's seed: the lowercase hex SHA-256 of the ASCII bytes
    ``frame_hash + "\\n" + server_random + "\\n" + witness_input``.

    ``frame_hash`` and ``server_random`` are 64 lowercase hex digits each and the witness
    input holds no line break, so the three parts are read back unambiguously; no newline
    ends the string. The same line is in ``verify_sample.py``.
    """
    if not _LOWER_HEX_64.fullmatch(frame_hash) or not _LOWER_HEX_64.fullmatch(server_random):
        raise SamplingError("the frame hash and the server random must be 64 lowercase hex digits")
    if clean_witness_input(witness_input) != witness_input:
        raise SamplingError("the witness input is not in its recorded form")
    parts = f"{frame_hash}\n{server_random}\n{witness_input}"
    return hashlib.sha256(parts.encode("ascii")).hexdigest()


def selection_key(*, seed: str, case_ref: str) -> str:
    """Return the hex SHA-256 of ``"{seed}:{case_ref}"`` in UTF-8.

    PostgreSQL computes the same with
    ``encode(sha256(convert_to(seed || ':' || case_ref, 'UTF8')), 'hex')``.
    """
    return hashlib.sha256(f"{seed}:{case_ref}".encode()).hexdigest()


def _frame_lines(rows: Iterable[tuple[str, str]]) -> Iterator[bytes]:
    """Check a frame, then return its hashed lines ``case_ref,stratum\\n`` in chunks.

    The rows are sorted by case_ref and checked before this returns, so a caller writing the
    chunks never writes half a frame. Chunks rather than one string keep the peak memory to
    the sorted rows themselves (about 80 MB for 1,000,000 short rows); Python's sort is
    linear on input that is already sorted, as stored frames are.
    """
    ordered = sorted(rows)
    previous_ref = None
    for case_ref, stratum in ordered:
        if case_ref == previous_ref:
            raise SamplingError(f"case_ref {case_ref!r} is in the frame more than once")
        if _UNSAFE_IN_FRAME.search(case_ref) or _UNSAFE_IN_FRAME.search(stratum):
            raise SamplingError(
                f"case_ref {case_ref!r} or its stratum {stratum!r} contains a comma, a "
                "double quote or a line break"
            )
        previous_ref = case_ref
    rows_per_chunk = 10_000
    return (
        "".join(
            f"{case_ref},{stratum}\n"
            for case_ref, stratum in ordered[start : start + rows_per_chunk]
        ).encode()
        for start in range(0, len(ordered), rows_per_chunk)
    )


def frame_hash(rows: Iterable[tuple[str, str]]) -> str:
    """Return the SHA-256 fingerprint of a frame of ``(case_ref, stratum)`` rows.

    It hashes the UTF-8 lines ``case_ref,stratum\\n`` sorted by case_ref in plain Python
    string order, which is Unicode code point order (so "B" < "a" < "a+1"), whatever the
    order of ``rows``. Code point order equals UTF-8 byte order, so PostgreSQL gives the same
    order with ``ORDER BY case_ref COLLATE "C"``; a locale collation would not.

    Raises SamplingError for a repeated case_ref, or a comma, double quote or line break in a
    case_ref or stratum (such a frame has no unambiguous hash).
    """
    digest = hashlib.sha256()
    for chunk in _frame_lines(rows):
        digest.update(chunk)
    return digest.hexdigest()


def draw(
    frame: Iterable[tuple[str, str]], *, allocation: Mapping[str, int], seed: str
) -> dict[str, list[Selected]]:
    """Draw, per stratum of ``allocation``, the ``n_h`` cases with the smallest keys.

    ``frame`` yields ``(case_ref, stratum)`` rows in any order and is read once, so it may be
    a generator over a file or a database cursor. Each stratum keeps only its ``n_h`` best
    candidates, but every case_ref is remembered to detect duplicates: for 1,000,000 short
    refs, the set and the strings take about 90 MB, far less than holding the rows.

    Returns, for every stratum of ``allocation`` in its order, the selected cases in key
    order with rank 1..n_h. A stratum with fewer than ``n_h`` cases gives all of them; one
    with none gives ``[]``; frame rows of other strata are ignored.

    Raises SamplingError for an empty seed, a negative ``n_h`` or a repeated case_ref.
    """
    if not seed:
        raise SamplingError("the seed must not be empty")
    sizes: dict[str, int] = {}
    for stratum, size in allocation.items():
        # operator.index accepts numpy integers from the allocation code but refuses 2.5.
        sizes[stratum] = operator.index(size)
        if sizes[stratum] < 0:
            raise SamplingError(f"stratum {stratum!r}: sample size {size} is negative")

    # One max-heap per stratum of (-key, case_ref): its top is the worst case kept so far,
    # so a new case enters only if its key is smaller. Keys are compared as integers, which
    # orders them exactly as their hex digests.
    heaps: dict[str, list[tuple[int, str]]] = {stratum: [] for stratum in sizes}
    seed_prefix = f"{seed}:"
    seen_refs: set[str] = set()
    for case_ref, stratum in frame:
        if case_ref in seen_refs:
            raise SamplingError(f"case_ref {case_ref!r} is in the frame more than once")
        seen_refs.add(case_ref)
        size = sizes.get(stratum, 0)
        if size == 0:
            continue
        digest = hashlib.sha256((seed_prefix + case_ref).encode()).digest()
        negated_key = -int.from_bytes(digest, "big")
        heap = heaps[stratum]
        if len(heap) < size:
            heapq.heappush(heap, (negated_key, case_ref))
        elif negated_key > heap[0][0]:
            heapq.heapreplace(heap, (negated_key, case_ref))

    return {
        stratum: [
            Selected(
                case_ref=case_ref,
                stratum=stratum,
                rank=rank,
                selection_key=f"{-negated_key:064x}",
            )
            for rank, (negated_key, case_ref) in enumerate(sorted(heap, reverse=True), start=1)
        ]
        for stratum, heap in heaps.items()
    }


def write_frame_csv(rows: Iterable[tuple[str, str]], fileobj: IO[bytes]) -> str:
    """Write a frame as gzip CSV (header ``case_ref,stratum``, rows sorted by case_ref).

    The gzip header carries no timestamp, so the same frame always gives the same bytes.
    Returns the frame hash of what was written, so the caller records exactly what it stored.
    Raises SamplingError as ``frame_hash`` does.
    """
    chunks = ((chunk, chunk.count(b"\n")) for chunk in _frame_lines(rows))
    return write_frame_blocks(chunks, fileobj)


def write_frame_blocks(blocks: Iterable[tuple[bytes, int]], fileobj: IO[bytes]) -> str:
    """Write a frame given as ``(lines, number of lines)`` blocks already in case_ref order
    (as the database sends them) as gzip CSV; returns the frame hash.

    Every block is checked to hold exactly one comma and one line break per line and no
    double quote or carriage return, so the lines mean the same to a CSV reader as to the
    hash. Raises SamplingError otherwise; the caller's file is then incomplete and must be
    discarded (``files.write_atomically`` does).
    """
    digest = hashlib.sha256()
    # Level 1: a frame is written once and kept; speed matters more than the last 30% of
    # size. Rows with no comma, quote or line break need no CSV quoting: the lines are CSV.
    with gzip.GzipFile(
        filename="", fileobj=fileobj, mode="wb", compresslevel=FRAME_GZIP_LEVEL, mtime=0
    ) as compressed:
        compressed.write(",".join(FRAME_CSV_HEADER).encode() + b"\n")
        for block, lines in blocks:
            if (
                block.count(b",") != lines
                or block.count(b"\n") != lines
                or b'"' in block
                or b"\r" in block
            ):
                raise SamplingError(
                    "a case_ref or stratum of the frame contains a comma, a double quote or "
                    "a line break"
                )
            compressed.write(block)
            digest.update(block)
    return digest.hexdigest()


def read_frame_csv(fileobj: IO[bytes]) -> Iterator[tuple[str, str]]:
    """Yield ``(case_ref, stratum)`` rows from a gzip CSV byte stream, one at a time.

    Raises SamplingError if the header is not ``case_ref,stratum`` or a row has not exactly
    two fields. A byte order mark is tolerated, as spreadsheet programs add one.
    """
    with (
        gzip.GzipFile(fileobj=fileobj, mode="rb") as compressed,
        io.TextIOWrapper(compressed, encoding="utf-8-sig", newline="") as text,
    ):
        reader = csv.reader(text)
        header = next(reader, None)
        if header is None or tuple(header) != FRAME_CSV_HEADER:
            raise SamplingError(f"the frame CSV must start with the header {FRAME_CSV_HEADER}")
        for row in reader:
            if len(row) != 2:
                raise SamplingError(f"frame CSV line {reader.line_num}: expected 2 fields")
            # A frame has few strata but many rows: sharing one string per stratum saves
            # about 60 MB per 1,000,000 rows in callers that keep rows, such as verify().
            yield row[0], sys.intern(row[1])


def verify(
    frame_rows: Iterable[tuple[str, str]],
    *,
    seed: str,
    recorded: Mapping[str, list[str]],
    recorded_frame_hash: str,
    server_random: str = "",
    witness_input: str = "",
) -> Verification:
    """Recompute the frame hash, the seed (from its recorded parts, when there are any)
    and the selection from the stored frame.

    ``recorded`` maps each stratum to the case refs of every drawn rank, in rank order;
    replaced cases keep their rank and their replacements follow, so the selection to
    compare with is ``draw(frame, {h: len(recorded[h])}, seed)``.

    ``frame_rows`` is read once; its rows are kept for the hash, which needs them sorted.
    Raises SamplingError if the frame itself is malformed (see ``frame_hash`` and ``draw``).
    """
    kept_rows: list[tuple[str, str]] = []

    def rows_kept_for_hash() -> Iterator[tuple[str, str]]:
        for row in frame_rows:
            kept_rows.append(row)
            yield row

    drawn = draw(
        rows_kept_for_hash(),
        allocation={stratum: len(refs) for stratum, refs in recorded.items()},
        seed=seed,
    )
    recomputed_frame_hash = frame_hash(kept_rows)
    checks = []
    for stratum, refs in recorded.items():
        recomputed = [selected.case_ref for selected in drawn[stratum]]
        checks.append(
            StratumCheck(
                stratum=stratum,
                expected=list(refs),
                recomputed=recomputed,
                match=list(refs) == recomputed,
            )
        )
    frame_hash_match = recomputed_frame_hash == recorded_frame_hash
    seed_recomputed = seed_match = None
    if server_random:
        try:
            seed_recomputed = seed_from_parts(
                frame_hash=recorded_frame_hash,
                server_random=server_random,
                witness_input=witness_input,
            )
        except SamplingError:
            seed_recomputed = ""
        seed_match = seed_recomputed == seed
    return Verification(
        frame_hash_recorded=recorded_frame_hash,
        frame_hash_recomputed=recomputed_frame_hash,
        frame_hash_match=frame_hash_match,
        strata=checks,
        match=frame_hash_match and seed_match is not False and all(check.match for check in checks),
        seed_recomputed=seed_recomputed,
        seed_match=seed_match,
    )


def verify_script_text() -> str:
    """Return the source of the standalone ``verify_sample.py``, to publish as text."""
    return (
        resources.files("audits.standalone")
        .joinpath("verify_sample.py")
        .read_text(encoding="utf-8")
    )
