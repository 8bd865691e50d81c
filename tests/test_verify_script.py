"""The standalone script internal audit runs: same answer as the app, nothing but Python."""

import ast
import gzip
import subprocess
import sys
from pathlib import Path

import pytest

from audits.core.sampling import (
    draw,
    frame_hash,
    seed_from_parts,
    verify_script_text,
    write_frame_csv,
)

SCRIPT = Path(__file__).resolve().parent.parent / "audits" / "standalone" / "verify_sample.py"

# Unusual but allowed refs: non-ASCII, spaces, and "+" which sorts below the comma.
FRAME = [(f"C{i:04d}", ["cin", "cp", "cla"][i % 3]) for i in range(300)] + [
    ("Zoë 7", "cin"),
    (" 12", "cp"),
    ("C0001+1", "cin"),
]
ALLOCATION = {"cin": 7, "cp": 120, "cla": 0, "leaver": 3}
HASH = frame_hash(FRAME)
SERVER_RANDOM = "5e" * 32
WITNESS = "-3 6 1 4"
SEED = seed_from_parts(frame_hash=HASH, server_random=SERVER_RANDOM, witness_input=WITNESS)


def run_script(frame_path, sample_path, *arguments):
    return subprocess.run(
        [sys.executable, "-I", str(SCRIPT), str(frame_path), str(sample_path), *arguments],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )


def expected_arguments(**changes):
    values = {
        "frame-hash": HASH,
        "seed": SEED,
        "server-random": SERVER_RANDOM,
        "witness-input": WITNESS,
        **changes,
    }
    return [f"--{name}={value}" for name, value in values.items() if value is not None]


def selection_lines():
    lines = ["stratum,rank,case_ref,selection_key"]
    for stratum, selected in draw(FRAME, allocation=ALLOCATION, seed=SEED).items():
        lines += [f"{stratum},{s.rank},{s.case_ref},{s.selection_key}" for s in selected]
    return lines


@pytest.fixture
def stored_frame(tmp_path):
    path = tmp_path / "frame.csv.gz"
    with path.open("wb") as frame_file:
        write_frame_csv(FRAME, frame_file)
    return path


@pytest.fixture
def recorded_sample(tmp_path):
    lines = ["stratum,rank,case_ref"]
    for stratum, selected in draw(FRAME, allocation=ALLOCATION, seed=SEED).items():
        lines += [f"{stratum},{s.rank},{s.case_ref}" for s in selected]
    path = tmp_path / "sample.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_it_recomputes_what_the_app_drew_and_says_it_matches(stored_frame, recorded_sample):
    result = run_script(stored_frame, recorded_sample, *expected_arguments())

    assert result.returncode == 0, result.stderr
    printed = result.stdout.splitlines()
    assert printed[0] == f"frame hash: {HASH}"
    assert printed[1] == f"seed from its parts: {SEED}"
    assert [line for line in printed if line.count(",") == 3] == selection_lines()
    assert printed[-1].startswith("MATCH")


def test_it_reads_the_frame_unpacked_too(stored_frame, recorded_sample, tmp_path):
    plain = tmp_path / "frame.csv"
    plain.write_bytes(gzip.decompress(stored_frame.read_bytes()))

    assert run_script(plain, recorded_sample, *expected_arguments()).returncode == 0


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"frame-hash": "0" * 64}, "frame hash"),
        ({"seed": "0" * 64}, "seed"),
        ({"witness-input": "-3 6 1 5"}, "seed"),
        ({"server-random": "5e" * 31 + "5f"}, "seed"),
    ],
)
def test_any_expected_value_that_differs_fails_and_is_named(
    stored_frame, recorded_sample, changes, named
):
    result = run_script(stored_frame, recorded_sample, *expected_arguments(**changes))

    assert result.returncode == 1
    assert f"MISMATCH {named}" in result.stderr


def test_a_sample_on_record_that_differs_fails_and_names_the_stratum(stored_frame, recorded_sample):
    text = recorded_sample.read_text(encoding="utf-8").splitlines()
    cin = [i for i, line in enumerate(text) if line.startswith("cin,")]
    text[cin[0]], text[cin[1]] = (
        text[cin[0]].rsplit(",", 1)[0] + "," + text[cin[1]].rsplit(",", 1)[1],
        text[cin[1]].rsplit(",", 1)[0] + "," + text[cin[0]].rsplit(",", 1)[1],
    )
    recorded_sample.write_text("\n".join(text) + "\n", encoding="utf-8")

    result = run_script(stored_frame, recorded_sample, *expected_arguments())

    assert result.returncode == 1
    assert "MISMATCH stratum cin" in result.stderr


def test_it_refuses_a_frame_that_lists_a_case_twice(tmp_path, recorded_sample):
    frame = tmp_path / "frame.csv"
    frame.write_text("case_ref,stratum\n1001,cin\n1001,cp\n", encoding="utf-8")

    result = run_script(frame, recorded_sample, *expected_arguments())

    assert result.returncode != 0
    assert "more than once" in result.stderr
    assert "selection_key" not in result.stdout


def test_it_stays_short_enough_to_print_in_the_report():
    assert len(SCRIPT.read_text(encoding="utf-8").splitlines()) < 80


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
