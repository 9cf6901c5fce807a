"""The encoded-text shortcut of masking gives exactly what walking the value gives."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from casereview import fastjson
from casereview.report.masking import (
    _CANDIDATE,
    _ascii_candidates_only,
    _text_edits,
    apply_edits,
    dumps_masked,
    mask,
    mask_edits,
    mask_payload,
    mask_value,
    may_need_masking,
)

_DIGITS = st.text(alphabet="0123456789０１２ -Xx\u00a0－", min_size=0, max_size=24)
_TEXT = st.one_of(_DIGITS, st.text(max_size=20), st.builds(lambda a, b: a + b, st.text(max_size=6), _DIGITS))
_SCALAR = st.one_of(
    _TEXT,
    st.integers(min_value=-(10**15), max_value=10**15),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=False, allow_infinity=False),
)
_VALUES = st.recursive(
    _SCALAR,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_TEXT, inner, max_size=4)),
    max_leaves=20,
)


@settings(max_examples=500, deadline=None)
@given(_VALUES)
@example({"13812345678": ['a"13812345678', "\\138 1234 5678", "\n13812345678X"]})
@example([-13812345678, 13812345678.5, "３６０１０２１９９００１０１１２３４", {"k": 10**10}])
@example({"证号": "赵强（证号 36011120200004）于 2026-06-24", "n": 1e20})
def test_encoded_shortcut_equals_the_walk(value):
    assert dumps_masked(value) == fastjson.dumps(mask_value(value))


def test_personal_numbers_are_masked_in_the_encoded_result():
    text = dumps_masked({"party": {"id": "360102199001011234", "phone": "138 1234 5678"}, "n": 13812345678})
    assert "199001011234" not in text and "1234 5678" not in text and "13812345678" not in text
    assert "3601**********1234" in text


_NEAR_CANDIDATES = st.text(alphabet='0123456789０１９ -－\u00a0\u00c2·Xx"\\:（证号）\u3000', max_size=40)


@settings(max_examples=800, deadline=None)
@given(st.one_of(_NEAR_CANDIDATES, st.text(max_size=40)))
@example("138 1234 5678")
@example("1-3-8-1-2-3-4-5-6-7-8")
@example("１３８１２３４５６７８")
@example("138\u00a01234\u00a05678")
@example("138－1234－5678")
@example("2021-12-26 - 2022-01-01")
def test_the_byte_shortcut_never_skips_text_that_masking_would_change(text):
    """`may_need_masking` says no only where no personal-number candidate is: what it lets
    through unmasked is what masking leaves as it is."""
    data = fastjson.dumps(text).encode()
    if not may_need_masking(data):
        assert not _CANDIDATE.search(text)
        assert mask(text) == text
    assert mask_payload(data) == fastjson.dumps(mask(text)).encode()


_ASCII_TEXT = st.text(alphabet="0123456789 -Xx:证号（）甲a,", max_size=30)
_PADDING = st.builds(lambda n, wide: ("甲" if wide else "a") * n, st.integers(0, 1100), st.booleans())
_ASCII_VALUES = st.recursive(
    st.one_of(
        _ASCII_TEXT,
        _PADDING,
        st.builds(lambda pad, text: pad + text, _PADDING, _ASCII_TEXT),
        st.integers(min_value=-(10**15), max_value=10**15),
        st.floats(allow_nan=False, allow_infinity=False),
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(_ASCII_TEXT, inner, max_size=4)),
    max_leaves=24,
)


@settings(max_examples=400, deadline=None)
@given(_ASCII_VALUES)
@example({"a": "a" * 1010 + "13812345678", "13812345678": "甲" * 339 + "138-1234-5678", "n": 13812345678})
@example(["a" * 1018 + "1 3 8 1 2 3 4 5 6 7 8", 2**60, -(10**12), "1" * 40])
@example({"a": " 2020-01-01 至 2024-03-04 ", "b": "12  345-67890 1 2", "c": "x 13812345678"})
@example(["1 2 3 4 5 6 7 8 9 0--1 2 3 4 5 6 7 8 9 0 1", "13812345678", "a13812345678"])
@example(-13812345678)
@example(13812345678)
def test_the_run_scan_gives_the_edits_of_the_text_walk(value):
    """`mask_edits` of JSON text without backslashes and non-ASCII separators or digits runs the
    candidate regex only over the runs of 11+ ASCII digits and separators (`_ascii_edits`): the
    same edits as decoding and walking the whole text, wherever a candidate falls (late in a
    run, in a run without one, in a key, a number, the text's end, a token met twice)."""
    data = fastjson.orjson.dumps(value)
    assert _ascii_candidates_only(data) and b"\\" not in data  # the block scan is the path taken
    assert mask_edits(data) == _text_edits(data)
    assert apply_edits(data, mask_edits(data)).decode() == fastjson.dumps(mask_value(value))
