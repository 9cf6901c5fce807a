"""`review`'s parent process takes in what the workers prepared (the JSON text, masked, and the
file's summary) instead of the results: its output must equal rendering the results themselves."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from casereview import fastjson
from casereview.analysis import analyse_results, brief
from casereview.batch import BatchOptions, review_batch
from casereview.cli import main
from casereview.report.json_report import write_value
from casereview.report.masking import dumps_masked, mask_payload, mask_value
from casereview.review import CaseResult

ROOT = Path(__file__).resolve().parents[1]
ROSTER = ROOT / "casefiles" / "roster.yaml"


@pytest.fixture
def context_oracle(book, profile):
    from casereview.batch import make_context
    from casereview.load import load_roster

    return make_context(book, profile, load_roster(ROSTER), "oracle")


@pytest.fixture(scope="module")
def folder(tmp_path_factory, make_sample_folder) -> Path:
    """Samples holding personal numbers, one broken file, one with a phone number in its name."""
    names = (
        "02-xinjian-peixun-jilu.yaml",
        "03-nankang-zhuyao-fuzeren.json",
        "05-nankang-chaoxian-fakuan.yaml",
    )
    return make_sample_folder(tmp_path_factory.mktemp("parent") / "in", names)


@pytest.mark.parametrize("workers", ["0", "2"])
@pytest.mark.parametrize("masked", [True, False])
def test_json_output_equals_the_results_rendered_in_one_process(folder, tmp_path, workers, masked):
    out = tmp_path / "out"
    args = [
        "review",
        str(folder),
        "-o",
        str(out),
        "--format",
        "json",
        "--roster",
        str(ROSTER),
        "--engine",
        "oracle",
    ]
    code = main([*args, "--workers", workers, "--no-cache", *([] if masked else ["--no-mask"])])
    assert code == 2  # broken.yaml is rejected
    doc = json.loads((out / "results.json").read_text(encoding="utf-8"))
    paths = sorted(folder.iterdir())
    results = list(review_batch(paths, BatchOptions(roster=ROSTER, workers=0, engine="oracle")))
    expected = [r.model_dump(mode="json") for r in results]
    analysis = analyse_results(results)
    if masked:
        expected, analysis = mask_value(expected), mask_value(analysis)
        assert "13812345678" not in (out / "results.json").read_text(encoding="utf-8")
    assert doc["results"] == expected
    assert doc["analysis"] == json.loads(json.dumps(analysis))


def test_statistics_and_exit_code_come_from_the_worker_side(folder, tmp_path, capsys):
    code = main(
        ["check", str(folder), "--format", "json", "--roster", str(ROSTER), "--no-cache", "--statistics"]
    )
    out, err = capsys.readouterr()
    results = json.loads(out)["results"]
    assert code == 2 and len(results) == 5
    counts: dict[str, int] = {}
    for r in results:
        for f in r["findings"]:
            counts[f["code"]] = counts.get(f["code"], 0) + 1
    lines = [line.split("\t") for line in err.splitlines() if "\t" in line]
    assert {code: int(n) for n, code, *_ in lines} == counts


_TEXT = st.one_of(
    st.sampled_from(["13812345678", "138 1234 5678", "案号〔2024〕1号", "", 'a\\"b']), st.text(max_size=8)
)
_FLOAT = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False), st.sampled_from([1 / 3, -2 / 7, 13812345678.5])
)
_LEAF = st.one_of(_TEXT, st.integers(-(10**12), 10**12), _FLOAT, st.none())


@settings(max_examples=150, deadline=None)
@given(
    shared=st.lists(st.dictionaries(_TEXT, _LEAF, max_size=3), max_size=3),
    group=st.dictionaries(_TEXT, _LEAF, max_size=3),
    items=st.lists(
        st.dictionaries(_TEXT, st.one_of(_LEAF, st.sampled_from(["SHARED", "GROUP"])), max_size=5), max_size=5
    ),
    mask=st.booleans(),
)
def test_a_list_shared_by_many_items_is_written_as_if_encoded_each_time(shared, group, items, mask):
    """`write_value` encodes a list or mapping that several items hold once, and their floats
    unmasked; the text is the same."""
    stands_for = {"SHARED": shared, "GROUP": group}
    value = [
        {k: stands_for.get(v, v) if isinstance(v, str) else v for k, v in item.items()} for item in items
    ]

    out = io.BytesIO()
    write_value(out, {"xs": value}, mask)
    encode = dumps_masked if mask else fastjson.dumps
    expected = "".join(f",\n    {encode(item)}" for item in value)[1:] if value else ""
    text = out.getvalue().decode()
    assert text == ('{\n  "xs": [' + expected + "\n  ]\n}" if value else '{\n  "xs": []\n}')


def test_a_long_analysis_list_is_written_in_pieces_as_one_text():
    """Past ~64 KB `write_value` writes what it has and goes on: the text is unchanged."""
    peers = [{"file": f"c{i}.json", "phone": "13812345678"} for i in range(20)]
    items = [{"file": f"c{i}.json", "n": i * 10**9, "x": i / 7, "peers": peers} for i in range(3000)]
    value = {"a": {"b": items, "c": [f"身份证 36010219900101{i:04}" for i in range(3000)]}}
    out = io.BytesIO()
    write_value(out, value, True)
    expected = json.dumps(mask_value(value), ensure_ascii=False, indent=2)
    assert len(out.getvalue()) > 1_000_000 and json.loads(out.getvalue()) == json.loads(expected)
    lines = [line.strip().rstrip(",") for line in out.getvalue().decode().splitlines()]
    assert dumps_masked(items[2999]) in lines and dumps_masked(value["a"]["c"][0]) in lines


def _review(folder: Path, out: Path, *extra: str) -> tuple[int, dict]:
    args = ["review", str(folder), "-o", str(out), "--format", "json", "--roster", str(ROSTER), *extra]
    code = main([*args, "--engine", "oracle"])
    return code, json.loads((out / "results.json").read_text(encoding="utf-8"))


def _without_times(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k != "generated"}


@pytest.mark.parametrize("workers", ["0", "2"])
def test_a_warm_cache_gives_the_same_report_without_rebuilding_results(
    folder, tmp_path, workers, monkeypatch
):
    cache = ["--cache-dir", str(tmp_path / "cache"), "--workers", workers]
    cold_code, cold = _review(folder, tmp_path / "cold", *cache)  # results stored, then written from it
    _, plain = _review(folder, tmp_path / "plain", "--no-cache", "--workers", workers)
    assert _without_times(cold) == _without_times(plain)
    if workers == "0":  # in this process: prove the hits are not validated into models again

        def refuse(*args, **kwargs):
            raise AssertionError("a cache hit was rebuilt")

        monkeypatch.setattr(CaseResult, "model_validate_json", refuse)
    warm_code, warm = _review(folder, tmp_path / "warm", *cache)
    assert warm_code == cold_code == 2
    assert _without_times(warm) == _without_times(cold)
    monkeypatch.undo()
    # a policy changes results before they are written: hits are rebuilt and the policy applied
    code, ignored = _review(folder, tmp_path / "ignored", *cache, "--ignore", "BM")
    assert code == 2 and not any(
        f["code"].startswith("BM") for r in ignored["results"] for f in r["findings"]
    )
    assert [r["file"] for r in ignored["results"]] == [r["file"] for r in cold["results"]]


def test_a_summary_from_the_stored_json_equals_the_one_from_the_result(tmp_path):
    from casereview.analysis import CaseSummary

    bad = tmp_path / "broken.yaml"
    bad.write_text("case: [unclosed\n", encoding="utf-8")
    paths = [*sorted((ROOT / "casefiles").glob("*.yaml")), *sorted((ROOT / "casefiles").glob("*.json")), bad]
    results = list(review_batch(paths, BatchOptions(roster=ROSTER, workers=0, engine="oracle")))
    assert {r.status for r in results} == {"reviewed", "rejected"}
    for i, result in enumerate(results):
        stored = CaseResult.model_validate_json(result.model_dump_json())  # what a cache hit held
        data = json.loads(result.model_dump_json())
        assert CaseSummary.of_json(data, i) == CaseSummary.of(stored, i)
        assert CaseSummary.of_json(brief(data), i) == CaseSummary.of(stored, i)  # a v4 entry's brief


def test_a_stored_entry_masks_and_summarises_as_its_json_does(folder, tmp_path, context_oracle):
    """What an entry keeps beside the JSON (masking edits, brief) gives what the JSON gives."""
    from casereview.cache import ResultCache, cached_review

    store = ResultCache(tmp_path / "cache")
    paths = sorted(p for p in folder.iterdir() if p.is_file())
    masked_some = False
    for path in paths:
        result = cached_review(path, context_oracle, store)
        offered: list = []
        cached_review(path, context_oracle, store, offered.append)  # declined: rebuilt from the JSON
        [entry] = offered
        payload = result.model_dump_json().encode()
        assert bytes(entry) == payload and type(entry.masked()) is bytes
        assert entry.masked() == mask_payload(payload) == dumps_masked(json.loads(payload)).encode()
        assert entry.brief == brief(json.loads(payload))
        masked_some |= entry.masked() != payload
    assert masked_some  # the samples hold personal numbers


def test_json_goes_to_any_text_stream(folder, monkeypatch, capsys):
    """A StringIO (encoding None, no byte buffer) as stdout still gets the whole document."""
    import io

    out = io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    code = main(
        ["check", str(folder), "--format", "json", "--engine", "oracle", "--workers", "0", "--no-cache"]
    )
    assert code == 2 and len(json.loads(out.getvalue())["results"]) == 5


@pytest.mark.parametrize("text_stream", [False, True])
def test_many_results_are_written_whole_and_in_order(text_stream):
    """Results go to the byte stream in batches (one write per ~64 KB): every one arrives, in
    order, whether or not the stream has a byte buffer."""
    import io

    from casereview.report.formats import ReportContext
    from casereview.report.formats.json import JsonSink

    out = io.StringIO() if text_stream else io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    sink = JsonSink(out, ReportContext(mask=False))
    items = [json.dumps({"file": f"{i}.yaml", "pad": "填" * (i * 997 % 9000)}).encode() for i in range(200)]
    for index, item in enumerate(items):
        sink.add(None, index, item)
    sink.finish(None)
    if not text_stream:
        out.flush()
        text = out.buffer.getvalue().decode()
    else:
        text = out.getvalue()
    assert [r["file"] for r in json.loads(text)["results"]] == [f"{i}.yaml" for i in range(200)]


def test_the_review_loop_runs_fewer_young_collections_and_restores_the_collector(
    folder, tmp_path, monkeypatch
):
    """While results arrive the parent collects young objects every REVIEW_GC_YOUNG allocations
    (its garbage is acyclic); a library caller's collector is as it was afterwards, even when the
    review fails."""
    import gc

    from casereview import cli, cli_support

    seen: list[int] = []
    update = cli.Progress.update
    monkeypatch.setattr(
        cli.Progress, "update", lambda self, *a: (seen.append(gc.get_threshold()[0]), update(self, *a))
    )
    before = gc.get_threshold()
    gc.set_threshold(555, *before[1:])
    try:
        args = ["review", str(folder), "-o", str(tmp_path / "out"), "--format", "json", "--no-cache"]
        assert main([*args, "--roster", str(ROSTER), "--engine", "oracle", "--workers", "0"]) == 2
        assert seen == [cli_support.REVIEW_GC_YOUNG] * 5 and gc.get_threshold() == (555, *before[1:])
        monkeypatch.setattr(cli.Progress, "update", lambda self, *a: 1 / 0)
        assert main([*args, "--roster", str(ROSTER), "--engine", "oracle", "--workers", "0"]) != 0
        assert gc.get_threshold() == (555, *before[1:])
    finally:
        gc.set_threshold(*before)


def test_the_reports_are_finished_with_the_loops_objects_frozen_and_none_left_frozen(
    folder, tmp_path, monkeypatch
):
    """What the review loop kept is frozen before the analysis and the reports are finished (their
    collections do not walk it again); a library caller has nothing left frozen afterwards."""
    import gc

    from casereview import cli
    from casereview.report import formats

    frozen: list[int] = []  # objects frozen when results arrive, then when the reports are finished
    update, finish_all = cli.Progress.update, formats.finish_all
    monkeypatch.setattr(
        cli.Progress, "update", lambda self, *a: (frozen.append(gc.get_freeze_count()), update(self, *a))
    )
    monkeypatch.setattr(
        formats, "finish_all", lambda *a: (frozen.append(gc.get_freeze_count()), finish_all(*a))
    )
    args = ["review", str(folder), "-o", str(tmp_path / "out"), "--no-cache", "--workers", "0"]
    assert main([*args, "--roster", str(ROSTER), "--engine", "oracle"]) == 2
    assert len(frozen) == 6 and frozen[-1] > max(frozen[:-1]) and gc.get_freeze_count() == 0


def test_the_analysis_reaches_a_text_only_stream_as_the_same_text(folder, tmp_path):
    """Written as UTF-8 bytes under a text stream; a stream with no bytes beneath (or another
    encoding) gets the same text."""
    import contextlib

    args = ["check", str(folder), "--format", "json", "--roster", str(ROSTER), "--no-cache"]
    args += ["--engine", "oracle", "--workers", "0"]
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        main(args)
    main([*args, "-o", str(tmp_path / "r.json")])
    written = (tmp_path / "r.json").read_text(encoding="utf-8")
    assert '"analysis": {' in written and "13812345678" not in written
    assert text.getvalue()[text.getvalue().index('"analysis"') :] == written[written.index('"analysis"') :]
