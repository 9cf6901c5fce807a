"""The compiled rule-book cache: served when nothing changed, rebuilt when anything did."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from casereview.packs import bookcache
from casereview.packs.loader import PackError

RULES = Path(__file__).resolve().parents[1] / "rules"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.delenv("CASEREVIEW_NO_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    return rules


def _count_loads(monkeypatch) -> list[int]:
    calls: list[int] = []
    real = bookcache.load_rulebook

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(bookcache, "load_rulebook", counting)
    return calls


def test_second_load_comes_from_the_cache_and_equals_the_first(cache, monkeypatch):
    calls = _count_loads(monkeypatch)
    first = bookcache.load_rulebook_cached(cache)
    second = bookcache.load_rulebook_cached(cache)
    assert len(calls) == 1
    assert second.version == first.version
    assert [c.rule_id for c in second.compiled] == [c.rule_id for c in first.compiled]
    assert second.compiled[0].when == first.compiled[0].when


def test_cached_conditions_are_the_loaded_ones_with_their_types(cache):
    """The cache stores equal condition subtrees once: every rule's condition must come back equal
    and of the same types (repr tells 1 from 1.0 and True), and nodes are really shared."""
    fresh = bookcache.load_rulebook(cache)
    bookcache.load_rulebook_cached(cache)  # stores
    cached = bookcache.load_rulebook_cached(cache)
    assert [repr(c.when) for c in cached.compiled] == [repr(c.when) for c in fresh.compiled]
    assert [c.when for c in cached.compiled] == [c.when for c in fresh.compiled]
    nodes: list[object] = []

    def walk(node: object) -> None:
        nodes.append(node)
        for child in getattr(node, "items", ()) or ([node.item] if hasattr(node, "item") else []):
            walk(child)

    for c in cached.compiled:
        walk(c.when)
    assert len({id(n) for n in nodes}) < len(nodes)


def test_an_edited_pack_is_reloaded(cache, monkeypatch):
    calls = _count_loads(monkeypatch)
    before = bookcache.load_rulebook_cached(cache)
    pack = cache / "packs" / "certificates.yaml"
    pack.write_text(pack.read_text(encoding="utf-8").replace("title:", "title: 改 ", 1), encoding="utf-8")
    after = bookcache.load_rulebook_cached(cache)
    assert len(calls) == 2 and after.version != before.version


def test_a_corrupt_cache_file_falls_back_to_loading(cache, monkeypatch):
    bookcache.load_rulebook_cached(cache)
    for path in bookcache.cache_folder().glob("*.pickle"):
        path.write_bytes(b"not a pickle")
    calls = _count_loads(monkeypatch)
    assert bookcache.load_rulebook_cached(cache).compiled
    assert len(calls) == 1


def test_broken_packs_are_reported_every_time_never_cached(cache):
    (cache / "packs" / "broken.yaml").write_text("pack: {id: broken}\nrules: [1]\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(PackError):
            bookcache.load_rulebook_cached(cache)
    assert not list(bookcache.cache_folder().glob("*.pickle"))


def test_no_cache_setting_bypasses_it(cache, monkeypatch):
    monkeypatch.setenv("CASEREVIEW_NO_CACHE", "1")
    calls = _count_loads(monkeypatch)
    bookcache.load_rulebook_cached(cache)
    bookcache.load_rulebook_cached(cache)
    assert len(calls) == 2 and not bookcache.cache_folder().exists()


def test_the_cached_book_carries_the_prepared_durable_ruleset(cache, monkeypatch, example_roster):
    from casereview.derive.facts import derive
    from casereview.evaluate import durable_engine
    from casereview.load import load_case

    bookcache.load_rulebook_cached(cache)  # builds and stores (with the prepared ruleset)
    book = bookcache.load_rulebook_cached(cache)
    assert "_durable_prepared" in book.__dict__
    case, _ = load_case(cache / "examples" / "general.yaml")
    case.decision.penalties[0].amount = 10_000_000  # far above any statutory maximum
    facts = derive(case, example_roster).facts
    expected = durable_engine.DurableEngine(book.compiled).evaluate(facts).sorted_matches()
    assert expected

    def not_again(rules):
        raise AssertionError("the ruleset JSON should come from the cached book")

    monkeypatch.setattr(durable_engine, "prepare", not_again)
    engine = durable_engine.DurableEngine.for_book(book)
    assert engine.evaluate(facts).sorted_matches() == expected


def test_the_book_read_in_the_background_is_the_one_loaded(cache, monkeypatch):
    """`start_durable_build` reads and verifies the book entry in the background; the load that
    follows uses those bytes (no second read) and gives the same book."""
    first = bookcache.load_rulebook_cached(cache)  # stores
    reads: list[Path] = []
    real = bookcache._read_signed
    monkeypatch.setattr(bookcache, "_read_signed", lambda *a: reads.append(a[0]) or real(*a))
    calls = _count_loads(monkeypatch)
    bookcache.start_durable_build(cache)
    second = bookcache.load_rulebook_cached(cache)
    assert len(reads) == 1 and not calls
    assert [repr(c.when) for c in second.compiled] == [repr(c.when) for c in first.compiled]
    _forget_prebuilt()


def test_a_forged_book_read_in_the_background_is_never_unpickled(cache, monkeypatch):
    bookcache.load_rulebook_cached(cache)  # stores
    [entry] = bookcache.cache_folder().glob("*.pickle")
    raw = entry.read_bytes()
    entry.write_bytes(b"\0" * bookcache.SIGNATURE_BYTES + raw[bookcache.SIGNATURE_BYTES :])
    unpickled: list[int] = []
    monkeypatch.setattr(bookcache.pickle, "loads", lambda data: unpickled.append(1))
    calls = _count_loads(monkeypatch)
    bookcache.start_durable_build(cache)
    book = bookcache.load_rulebook_cached(cache)
    assert calls == [1] and not unpickled and book.compiled  # rebuilt from the packs
    _forget_prebuilt()


def _forget_prebuilt() -> None:
    from casereview.evaluate import durable_prebuild

    durable_prebuild.wait()
    durable_prebuild._built.clear()


def test_cached_tables_are_unpickled_at_first_use_and_equal_the_loaded_ones(cache):
    """A check of most files never reads the tables: the cached book unpickles them (and imports
    their modules) only when something does."""
    fresh = bookcache.load_rulebook(cache)
    bookcache.load_rulebook_cached(cache)  # stores
    cached = bookcache.load_rulebook_cached(cache)
    assert "by_type" not in cached.tables.__dict__
    assert cached.tables.files == fresh.tables.files
    from casereview.load.facttypes import declared_fact_types

    assert declared_fact_types(cached) == declared_fact_types(fresh) != {}  # kept with the book
    assert "by_type" not in cached.tables.__dict__
    for kind in ("statute", "benchmark", "exemption_list"):
        assert cached.tables.of(kind) == fresh.tables.of(kind) != []
    assert cached.tables == fresh.tables and fresh.tables == cached.tables
    again = bookcache.pickle.loads(bookcache.pickle.dumps(cached.tables))
    assert again == fresh.tables


def test_a_cached_book_carries_the_html_reports_circumstance_labels(cache):
    """An HTML report's value labels (benchmark circumstances `f_<name>`) come with the cached
    book: equal to those read from the tables (the first table's wording, the vocabulary's first),
    and made without unpickling the tables before the review's workers start."""
    from casereview.report.labels import _clean, _vocabulary, value_labels

    fresh = bookcache.load_rulebook(cache)
    expected = dict(_vocabulary())
    for table in fresh.tables.of("benchmark"):
        for item in table.items:
            for name, var in item.variables.items():
                expected.setdefault(f"f_{name}", _clean(var.label or name))
    assert value_labels(fresh) == expected and any(k.startswith("f_") for k in expected)
    bookcache.load_rulebook_cached(cache)  # stores
    cached = bookcache.load_rulebook_cached(cache)
    assert value_labels(cached) == expected
    assert "by_type" not in cached.tables.__dict__


def test_a_cached_book_of_the_default_rules_carries_the_default_profile(tmp_path, monkeypatch):
    """Its file is under the rules folder, so part of the book's key: the profile a check gets
    from the cached book equals the one loaded from its YAML, and a book of other rules has none."""
    from casereview.batch import BatchOptions, load_setup
    from casereview.score.profile import load_profile

    monkeypatch.delenv("CASEREVIEW_NO_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    bookcache.load_rulebook_cached()  # stores
    cached = bookcache.load_rulebook_cached()
    assert bookcache.default_profile(cached).model_dump() == load_profile().model_dump()
    book, profile, _ = load_setup(BatchOptions())
    assert profile.model_dump() == load_profile().model_dump()
    assert bookcache.default_profile(book) is not None
    other = tmp_path / "rules"
    shutil.copytree(RULES, other)
    bookcache.load_rulebook_cached(other)
    assert bookcache.default_profile(bookcache.load_rulebook_cached(other)) is None


def test_storing_a_book_removes_rulesets_whose_book_is_gone(cache):
    """A `.durable` entry is only used with its book: one whose `.pickle` was removed (by hand,
    or by an older version's eviction) is removed when a book is next stored."""
    bookcache.load_rulebook_cached(cache)  # stores
    folder = bookcache.cache_folder()
    [kept] = folder.glob(f"*{bookcache.DURABLE_SUFFIX}")
    orphan = folder / f"{'0' * 32}{bookcache.DURABLE_SUFFIX}"
    orphan.write_bytes(b"x")
    pack = cache / "packs" / "certificates.yaml"
    pack.write_text(pack.read_text(encoding="utf-8").replace("title:", "title: 改 ", 1), encoding="utf-8")
    bookcache.load_rulebook_cached(cache)  # another key: stores again
    assert not orphan.exists() and kept.exists()
    assert len(list(folder.glob(f"*{bookcache.DURABLE_SUFFIX}"))) == 2


def test_book_key_walks_the_rules_as_rglob_does_and_never_loops(tmp_path):
    """A link to a file counts like the file; a link to a folder (here, a loop back to the rules)
    is not entered: the key is the one `Path.rglob` listed, and computing it ends."""
    root = tmp_path / "rules"
    (root / "tables").mkdir(parents=True)
    (root / "pack.yaml").write_text("a: 1\n", encoding="utf-8")
    (root / "tables" / "t.yaml").write_text("b: 2\n", encoding="utf-8")
    (root / "tables" / "same.yaml").symlink_to(root / "pack.yaml")
    (root / "tables" / "loop").symlink_to(root)
    listed = [str(p.relative_to(root)) for p in sorted(root.rglob("*")) if p.is_file()]
    assert [relative for relative, _ in bookcache._files(str(root))] == listed
    assert bookcache.book_key(root, []) == bookcache.book_key(root, [])
