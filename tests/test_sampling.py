"""The sampling core: the published vector, the selection rule's invariants, the frame
hash, the stored frame CSV and the re-check internal audit relies on."""

import gzip
import hashlib
import io
import json
import weakref
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import chisquare

from audits.core.sampling import (
    ALGORITHM_NAME,
    ALGORITHM_VERSION,
    SamplingError,
    clean_witness_input,
    draw,
    frame_hash,
    new_server_random,
    read_frame_csv,
    seed_from_parts,
    selection_key,
    verify,
    write_frame_csv,
)

VECTOR_SEED = "LA-QA-2025-06"
VECTOR_FRAME = [(str(case_ref), "all") for case_ref in range(1001, 1021)]

STRATA = ["cin", "cp", "cla", "leaver"]
# Refs may hold any character except the four that would make a frame line ambiguous.
case_refs = st.text(
    alphabet=st.characters(exclude_characters=',"\r\n', exclude_categories=["Cs"]),
    min_size=1,
    max_size=8,
)
# Unique refs by construction: a frame never lists a case twice.
frames = st.dictionaries(case_refs, st.sampled_from(STRATA[:3]), max_size=40).map(
    lambda stratum_by_ref: list(stratum_by_ref.items())
)
allocations = st.dictionaries(st.sampled_from(STRATA), st.integers(min_value=0, max_value=45))
seeds = st.text(min_size=1, max_size=20)


def refs(drawn, stratum):
    return [selected.case_ref for selected in drawn[stratum]]


def test_it_meets_the_published_vector():
    drawn = draw(VECTOR_FRAME, allocation={"all": 5}, seed=VECTOR_SEED)

    assert refs(drawn, "all") == ["1015", "1006", "1016", "1004", "1005"]
    assert [selected.rank for selected in drawn["all"]] == [1, 2, 3, 4, 5]
    assert drawn["all"][0].selection_key == (
        "01346d6be677026101903d709a7837c992711d9e75b19dc5205976549085e6d6"
    )
    assert (ALGORITHM_NAME, ALGORITHM_VERSION) == ("sha256-smallest-key", "1")


def test_the_selection_key_is_sha256_of_seed_colon_ref_in_utf8():
    expected = hashlib.sha256("LA-QA-2025-06:Zoë-7".encode()).hexdigest()

    assert selection_key(seed=VECTOR_SEED, case_ref="Zoë-7") == expected


def test_the_frame_hash_is_sha256_of_the_sorted_lines():
    rows = [("1002", "cp"), ("1001", "cin")]

    assert frame_hash(rows) == hashlib.sha256(b"1001,cin\n1002,cp\n").hexdigest()


def test_the_frame_hash_sorts_by_case_ref_in_code_point_order():
    # Sorting whole lines would put "a+1,x" before "a,y" (+ is below the comma), and a
    # locale collation would put "B" after "a".
    rows = [("a+1", "x"), ("a", "y"), ("B", "z")]

    assert frame_hash(rows) == hashlib.sha256(b"B,z\na,y\na+1,x\n").hexdigest()


@pytest.mark.parametrize(
    "row",
    [("10,01", "cin"), ("1001", "cin,cp"), ("1001\n", "cin"), ("1001\r", "cin"), ('10"01', "cp")],
)
def test_the_frame_hash_refuses_rows_that_would_make_lines_ambiguous(row):
    with pytest.raises(SamplingError, match="comma"):
        frame_hash([row, ("1002", "cin")])


def test_the_frame_hash_refuses_a_case_listed_twice():
    with pytest.raises(SamplingError, match="'1001' is in the frame more than once"):
        frame_hash([("1001", "cin"), ("1002", "cin"), ("1001", "cp")])


@given(frame=frames, data=st.data())
def test_the_frame_hash_ignores_row_order(frame, data):
    shuffled = data.draw(st.permutations(frame))

    assert frame_hash(shuffled) == frame_hash(frame)


@given(frame=frames, allocation=allocations, seed=seeds)
def test_each_stratum_gets_its_cases_with_the_smallest_keys_in_key_order(frame, allocation, seed):
    drawn = draw(frame, allocation=allocation, seed=seed)

    assert list(drawn) == list(allocation)
    for stratum, size in allocation.items():
        # The obvious, whole-frame version of the rule, to check the streaming one against.
        everyone = sorted(
            (selection_key(seed=seed, case_ref=case_ref), case_ref)
            for case_ref, case_stratum in frame
            if case_stratum == stratum
        )
        assert [(s.selection_key, s.case_ref) for s in drawn[stratum]] == everyone[:size]
        assert [s.rank for s in drawn[stratum]] == list(range(1, min(size, len(everyone)) + 1))
        assert {s.stratum for s in drawn[stratum]} <= {stratum}


@given(
    frame=frames,
    seed=seeds,
    size=st.integers(min_value=0, max_value=45),
    extra=st.integers(min_value=0, max_value=45),
)
def test_extending_a_sample_never_changes_the_ranks_already_drawn(frame, seed, size, extra):
    smaller = draw(frame, allocation={"cin": size}, seed=seed)["cin"]
    larger = draw(frame, allocation={"cin": size + extra}, seed=seed)["cin"]

    assert larger[: len(smaller)] == smaller


@given(frame=frames, allocation=allocations, seed=seeds, data=st.data())
def test_the_draw_does_not_depend_on_the_order_of_the_frame(frame, allocation, seed, data):
    shuffled = data.draw(st.permutations(frame))

    assert draw(shuffled, allocation=allocation, seed=seed) == draw(
        frame, allocation=allocation, seed=seed
    )


def test_different_seeds_draw_different_samples():
    samples = {
        tuple(refs(draw(VECTOR_FRAME, allocation={"all": 5}, seed=f"seed-{i}"), "all"))
        for i in range(100)
    }

    # 20 * 19 * 18 * 17 * 16 ordered samples are possible: 100 seeds should all differ.
    assert len(samples) == 100


def test_over_many_seeds_every_case_is_selected_about_equally_often():
    times_selected = Counter()
    times_first = Counter()
    for i in range(2000):
        drawn = refs(draw(VECTOR_FRAME, allocation={"all": 5}, seed=f"seed-{i}"), "all")
        times_selected.update(drawn)
        times_first[drawn[0]] += 1
    all_refs = [case_ref for case_ref, _ in VECTOR_FRAME]

    # Fixed seeds make this deterministic; p > 0.001 leaves room should the rule ever change.
    # Five distinct cases per draw vary less than a multinomial, so the test is conservative.
    assert chisquare([times_selected[ref] for ref in all_refs]).pvalue > 0.001
    assert chisquare([times_first[ref] for ref in all_refs]).pvalue > 0.001


def test_a_stratum_smaller_than_its_sample_size_gives_all_its_cases():
    frame = [("1001", "cin"), ("1002", "cin"), ("1003", "cp")]

    drawn = draw(frame, allocation={"cin": 5, "cla": 3, "cp": 0}, seed="s")

    assert sorted(refs(drawn, "cin")) == ["1001", "1002"]
    assert drawn["cla"] == []
    assert drawn["cp"] == []


def test_strata_left_out_of_the_allocation_are_ignored():
    frame = [("1001", "cin"), ("1002", "early_help")]

    assert list(draw(frame, allocation={"cin": 2}, seed="s")) == ["cin"]


@pytest.mark.parametrize(
    "frame",
    [
        [("1001", "cin"), ("1002", "cin"), ("1001", "cin")],
        [("1001", "cin"), ("1001", "cp")],
        [("1001", "early_help"), ("1001", "early_help")],
    ],
)
def test_a_case_listed_twice_is_refused(frame):
    with pytest.raises(SamplingError, match="more than once"):
        draw(frame, allocation={"cin": 1, "cp": 1}, seed="s")


def test_a_negative_sample_size_is_refused():
    with pytest.raises(SamplingError, match="negative"):
        draw(VECTOR_FRAME, allocation={"all": -1}, seed="s")


def test_an_empty_seed_is_refused():
    with pytest.raises(SamplingError, match="seed"):
        draw(VECTOR_FRAME, allocation={"all": 1}, seed="")


def test_sampling_errors_are_value_errors_so_the_api_answers_400():
    assert issubclass(SamplingError, ValueError)


class TrackedRow:
    """A frame row that can be watched with a weak reference (tuples cannot)."""

    __slots__ = ("__weakref__", "case_ref", "stratum")

    def __init__(self, case_ref, stratum):
        self.case_ref = case_ref
        self.stratum = stratum

    def __iter__(self):
        return iter((self.case_ref, self.stratum))


def test_the_draw_streams_the_frame_without_holding_its_rows():
    rows_alive = weakref.WeakSet()
    most_rows_alive = 0

    def frame():
        nonlocal most_rows_alive
        for i in range(5000):
            row = TrackedRow(f"C{i:05d}", f"team-{i % 3}")
            rows_alive.add(row)
            most_rows_alive = max(most_rows_alive, len(rows_alive))
            yield row

    drawn = draw(frame(), allocation={"team-0": 10, "team-1": 10}, seed="s")

    assert len(drawn["team-0"]) == 10
    # The generator's own variable and the row being read; a list of the frame would be 5000.
    assert most_rows_alive <= 2


def test_the_servers_random_part_has_256_bits_and_never_repeats():
    bits = new_server_random()

    assert len(bits) == 64
    assert int(bits, 16) >= 0
    assert new_server_random() != bits


def test_the_seed_is_sha256_of_its_parts_joined_by_line_feeds():
    frame, server = "a" * 64, "0123456789abcdef" * 4
    expected = hashlib.sha256(f"{frame}\n{server}\n6 6 2-1".encode("ascii")).hexdigest()
    assert seed_from_parts(frame_hash=frame, server_random=server, witness_input="6 6 2-1") == (
        expected
    )
    # Every part counts: change one and the seed is unrelated.
    assert seed_from_parts(frame_hash=frame, server_random=server, witness_input="") != expected
    with pytest.raises(SamplingError):
        seed_from_parts(frame_hash=frame, server_random="short", witness_input="")
    with pytest.raises(SamplingError):
        seed_from_parts(frame_hash=frame, server_random=server, witness_input="x'")


@given(st.text(max_size=120))
def test_witness_input_is_letters_digits_spaces_and_hyphens_only(text):
    allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -")
    if set(text) <= allowed and len(text.strip(" ")) <= 100:
        assert clean_witness_input(text) == text.strip(" ")
    else:
        with pytest.raises(SamplingError):
            clean_witness_input(text)


def test_verification_recomputes_the_seed_from_its_parts():
    rows = VECTOR_FRAME
    hashed, server = frame_hash(rows), "f" * 64
    seed = seed_from_parts(frame_hash=hashed, server_random=server, witness_input="dice 1 2")
    drawn = draw(rows, allocation={"all": 3}, seed=seed)
    recorded = {"all": [s.case_ref for s in drawn["all"]]}
    common = {"recorded": recorded, "recorded_frame_hash": hashed, "server_random": server}

    assert verify(rows, seed=seed, witness_input="dice 1 2", **common).match is True
    changed = verify(rows, seed=seed, witness_input="dice 1 3", **common)
    assert (changed.match, changed.seed_match) == (False, False)


def frame_csv_bytes(rows):
    buffer = io.BytesIO()
    write_frame_csv(rows, buffer)
    return buffer.getvalue()


@given(frame=frames)
def test_a_frame_csv_reads_back_sorted_and_its_body_hashes_to_the_frame_hash(frame):
    buffer = io.BytesIO()
    written_hash = write_frame_csv(frame, buffer)
    buffer.seek(0)

    assert list(read_frame_csv(buffer)) == sorted(frame)
    assert written_hash == frame_hash(frame)
    # What `gzip -dc frame.csv.gz | tail -n +2 | sha256sum` shows internal audit.
    header, _, body = gzip.decompress(buffer.getvalue()).partition(b"\n")
    assert header == b"case_ref,stratum"
    assert hashlib.sha256(body).hexdigest() == written_hash


def test_the_same_frame_always_gives_the_same_csv_bytes():
    assert frame_csv_bytes(VECTOR_FRAME) == frame_csv_bytes(list(reversed(VECTOR_FRAME)))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ref,stratum\n1001,cin\n", "header"),
        ("", "header"),
        ("case_ref,stratum\n1001,cin\n1002,cin,extra\n", "line 3"),
    ],
)
def test_a_malformed_frame_csv_is_refused(text, message):
    stream = io.BytesIO(gzip.compress(text.encode()))

    with pytest.raises(SamplingError, match=message):
        list(read_frame_csv(stream))


def test_a_frame_csv_with_a_byte_order_mark_reads_the_same():
    stream = io.BytesIO(gzip.compress("\ufeffcase_ref,stratum\r\n1001,cin\r\n".encode()))

    assert list(read_frame_csv(stream)) == [("1001", "cin")]


TWO_STRATA_FRAME = [(f"C{i:03d}", "cin" if i % 2 else "cp") for i in range(60)]


def recorded_draw(frame, allocation, seed):
    drawn = draw(frame, allocation=allocation, seed=seed)
    return {stratum: refs(drawn, stratum) for stratum in drawn}


def test_verify_confirms_an_untouched_draw():
    recorded = recorded_draw(TWO_STRATA_FRAME, {"cin": 5, "cp": 4}, "cycle-7")

    result = verify(
        TWO_STRATA_FRAME,
        seed="cycle-7",
        recorded=recorded,
        recorded_frame_hash=frame_hash(TWO_STRATA_FRAME),
    )

    assert result.match
    assert result.frame_hash_match
    assert [(check.stratum, check.match) for check in result.strata] == [
        ("cin", True),
        ("cp", True),
    ]


def test_verify_confirms_a_draw_read_back_from_the_stored_csv_with_replacements():
    # Replacing rank 2 of "cin" took rank 6: the record lists all six ranks, in rank order.
    recorded = recorded_draw(TWO_STRATA_FRAME, {"cin": 6, "cp": 4}, "cycle-7")
    stored = io.BytesIO()
    recorded_hash = write_frame_csv(TWO_STRATA_FRAME, stored)
    stored.seek(0)

    result = verify(
        read_frame_csv(stored),
        seed="cycle-7",
        recorded=recorded,
        recorded_frame_hash=recorded_hash,
    )

    assert result.match


def test_verify_names_the_stratum_whose_drawn_case_was_changed_in_the_frame():
    recorded = recorded_draw(TWO_STRATA_FRAME, {"cin": 5, "cp": 4}, "cycle-7")
    first_cin_case = recorded["cin"][0]
    tampered = [
        ("C999" if case_ref == first_cin_case else case_ref, stratum)
        for case_ref, stratum in TWO_STRATA_FRAME
    ]

    result = verify(
        tampered,
        seed="cycle-7",
        recorded=recorded,
        recorded_frame_hash=frame_hash(TWO_STRATA_FRAME),
    )

    assert not result.match
    assert not result.frame_hash_match
    assert result.mismatched_strata == ["cin"]
    cin_check = result.strata[0]
    assert cin_check.expected == recorded["cin"]
    assert first_cin_case not in cin_check.recomputed


def test_verify_notices_ranks_recorded_out_of_order_even_with_the_right_frame():
    recorded = recorded_draw(TWO_STRATA_FRAME, {"cin": 5, "cp": 4}, "cycle-7")
    recorded["cp"][0], recorded["cp"][1] = recorded["cp"][1], recorded["cp"][0]

    result = verify(
        TWO_STRATA_FRAME,
        seed="cycle-7",
        recorded=recorded,
        recorded_frame_hash=frame_hash(TWO_STRATA_FRAME),
    )

    assert result.frame_hash_match
    assert not result.match
    assert result.mismatched_strata == ["cp"]


def test_a_verification_turns_into_json_for_the_api():
    recorded = {"cin": ["C001"]}

    result = verify(
        [("C001", "cin")], seed="s", recorded=recorded, recorded_frame_hash="not-the-hash"
    )

    data = json.loads(json.dumps(result.as_dict()))
    assert data["match"] is False
    assert data["frame_hash_recorded"] == "not-the-hash"
    assert data["strata"] == [
        {"stratum": "cin", "expected": ["C001"], "recomputed": ["C001"], "match": True}
    ]
