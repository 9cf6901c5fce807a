"""Masking's quick forms give exactly what its plain forms give: the regexes written out with
possessive parts find the same spans, and a one-group number is masked as the group walk masks it."""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from casereview.report import masking
from casereview.report.masking import _D, _SEP, _mask_group, _mask_groups, mask

# the regexes as first written (before they were unrolled / made possessive for speed)
_PLAIN_CANDIDATE = re.compile(rf"{_D}(?:{_SEP}?{_D}){{10}}")
_PLAIN_STRETCH = re.compile(rf"{_D}+(?:{_SEP}{_D}+)*(?:[XxＸｘ](?![0-9A-Za-z]))?")
_PLAIN_ASCII = re.compile(rb"[0-9](?:[ \-]?[0-9]){10}")


def _plain_mask(text: str) -> str:
    """`mask` as first written: every stretch of 11+ characters through the group walk."""
    if len(text) < 11 or not _PLAIN_CANDIDATE.search(text):
        return text
    return _PLAIN_STRETCH.sub(lambda m: m.group() if len(m.group()) < 11 else _mask_groups(m.group()), text)


_NEAR = st.text(alphabet="0123456789０１３８９ -－\u00a0Xxｘａa:（号", max_size=60)
_NUMBER = st.builds(
    lambda prefix, lead, digits, x: prefix + lead + digits + x,
    st.sampled_from(["", "86", "0086", "1", "８６"]),
    st.sampled_from(["", "13", "15", "19", "12", "3601", "1101"]),
    st.text(alphabet="0123456789０１２９", min_size=7, max_size=20),
    st.sampled_from(["", "X", "x", "Ｘ", "ｘ"]),
)


_ASCII = st.text(alphabet="0123456789  --Xxa:.", max_size=40)


@settings(max_examples=600, deadline=None)
@given(st.one_of(_NEAR, _ASCII, _NUMBER, st.builds(lambda a, b, c: a + b + c, _NEAR, _NUMBER, _NEAR)))
@example("case-000001.yaml:145:5 decision.penalties[0].target")
@example("a 138-1234-5678")
@example("1 3 8 1 2 3 4 5 6 7 8")
@example("１-3 8\u00a01２3－4-5 6\u00a07 8")
@example("ID360102199001011234X5")
@example("12-34-56-78-90-1X")
def test_the_quick_regexes_find_what_the_plain_ones_find(text):
    assert [m.span() for m in masking._CANDIDATE.finditer(text)] == [
        m.span() for m in _PLAIN_CANDIDATE.finditer(text)
    ]
    assert [m.span() for m in masking._STRETCH.finditer(text)] == [
        m.span() for m in _PLAIN_STRETCH.finditer(text)
    ]
    data = text.encode()
    assert [m.span() for m in masking._ASCII_CANDIDATE.finditer(data)] == [
        m.span() for m in _PLAIN_ASCII.finditer(data)
    ]
    assert mask(text) == _plain_mask(text)


@settings(max_examples=800, deadline=None)
@given(_NUMBER)
@example("13812345678")
@example("8613812345678")
@example("008613812345678")
@example("36010219900101123X")
@example("360102900101123")
@example("12345678901X")
@example("１３８１２３４５６７８")
def test_a_one_group_number_is_masked_as_the_group_walk_masks_it(token):
    if len(token) >= 11 and token[:-1].isdigit():
        assert _mask_group(token) == _mask_groups(token)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_NEAR, _NUMBER), max_size=10), st.integers(1, 4))
def test_a_text_masked_again_is_masked_as_the_first_time(texts, kept):
    """`mask` keeps what it gave for the last texts (the HTML page and the workbook mask the same
    messages): a text masked again, kept or not, is masked as the plain form masks it."""
    texts = [*texts, *(t + "8" for t in texts), *texts[::-1]]  # texts again, and longer by a digit
    before = masking._RECENT_MAX
    masking._RECENT_MAX = kept
    try:
        assert [mask(t) for t in texts] == [_plain_mask(t) for t in texts]
    finally:
        masking._RECENT_MAX = before


def test_a_long_text_is_masked_but_not_kept():
    """`mask` keeps short texts only: a minified case file shown as one line (megabytes) would
    otherwise stay in the memo, thousands of them per worker."""
    short = "电话 13812345678"
    long = "说明" * 600 + " 13812345678 " + "x" * 10
    assert mask(short) == _plain_mask(short) and mask(long) == _plain_mask(long)
    assert "13812345678" not in mask(long)
    assert short in masking._RECENT and long not in masking._RECENT
