"""The standalone script internal audit runs: same answer as the app, nothing but Python."""

import ast
import gzip
import subprocess
import sys
from pathlib import Path

import pytest

from audits.sampling import draw, frame_hash, verify_script_text, write_frame_csv

SCRIPT = Path(__file__).resolve().parent.parent / "audits" / "verify_sample.py"

# Unusual but allowed refs: non-ASCII, spaces, and "+" which sorts below the comma.
FRAME = [(f"C{i:04d}", ["cin", "cp", "cla"][i % 3]) for i in range(300)] + [
    ("Zoë 7", "cin"),
    (" 12", "cp"),
    ("C0001+1", "cin"),
]
ALLOCATION = {"cin": 7, "cp": 120, "cla": 0, "leaver": 3}
SEED = "LA-QA-2025-06"


def run_script(frame_path, *arguments):
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(frame_path), *arguments],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )


def expected_output():
    lines = [f"frame_hash: {frame_hash(FRAME)}", "stratum,rank,case_ref,selection_key"]
    for stratum, selected in draw(FRAME, allocation=ALLOCATION, seed=SEED).items():
        lines += [f"{stratum},{s.rank},{s.case_ref},{s.selection_key}" for s in selected]
    return "\n".join(lines) + "\n"


@pytest.fixture
def stored_frame(tmp_path):
    path = tmp_path / "frame.csv.gz"
    with path.open("wb") as frame_file:
        write_frame_csv(FRAME, frame_file)
    return path


def allocation_arguments():
    return [f"{stratum}={size}" for stratum, size in ALLOCATION.items()]


def test_it_prints_what_the_app_drew_from_the_stored_gzip_frame(stored_frame):
    result = run_script(stored_frame, SEED, *allocation_arguments())

    assert result.returncode == 0, result.stderr
    assert result.stdout == expected_output()


def test_it_reads_the_frame_unpacked_too(stored_frame, tmp_path):
    plain = tmp_path / "frame.csv"
    plain.write_bytes(gzip.decompress(stored_frame.read_bytes()))

    result = run_script(plain, SEED, *allocation_arguments())

    assert result.stdout == expected_output()


def test_it_refuses_a_frame_that_lists_a_case_twice(tmp_path):
    frame = tmp_path / "frame.csv"
    frame.write_text("case_ref,stratum\n1001,cin\n1001,cp\n", encoding="utf-8")

    result = run_script(frame, SEED, "cin=1")

    assert result.returncode != 0
    assert "more than once" in result.stderr
    assert "selection_key" not in result.stdout


def test_it_stays_short_enough_to_print_in_the_report():
    assert len(SCRIPT.read_text(encoding="utf-8").splitlines()) < 40


def test_it_imports_only_the_standard_library():
    tree = ast.parse(SCRIPT.read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            # A relative import (level > 0) would reach into the app.
            imported.add("." * node.level + (node.module or "").partition(".")[0])

    assert imported
    assert imported <= sys.stdlib_module_names


def test_the_app_serves_the_script_as_it_is_on_disk():
    assert verify_script_text() == SCRIPT.read_text(encoding="utf-8")
