"""The bounded memo every stage keeps (`casereview.memo.remember`): at most `limit` entries,
cleared whole when full, the value stored returned."""

from __future__ import annotations

from casereview.memo import remember
from casereview.report import masking


def test_remember_returns_the_value_it_keeps():
    memo: dict[str, list[int]] = {}
    value = [1, 2]
    assert remember(memo, "a", value, 4) is value
    assert memo == {"a": value} and memo["a"] is value


def test_a_memo_never_holds_more_than_its_limit():
    memo: dict[int, int] = {}
    for n in range(1000):
        assert remember(memo, n, n * n, 7) == n * n
        assert 1 <= len(memo) <= 7
        assert memo[n] == n * n  # the entry just kept is always there


def test_a_full_memo_is_cleared_whole_before_the_new_entry():
    memo: dict[int, str] = {}
    for n in range(3):
        remember(memo, n, str(n), 3)
    assert memo == {0: "0", 1: "1", 2: "2"}  # up to the limit: nothing dropped
    remember(memo, 3, "3", 3)
    assert memo == {3: "3"}  # full: every older entry dropped at once, not the oldest alone
    remember(memo, 4, "4", 3)
    assert memo == {3: "3", 4: "4"}


def test_a_dict_subclass_with_missing_is_kept_the_same_way():
    class Squares(dict[int, int]):
        def __missing__(self, n: int) -> int:
            return remember(self, n, n * n, 2)

    squares = Squares()
    assert [squares[n] for n in (2, 3, 2, 4)] == [4, 9, 4, 16]
    assert squares == {4: 16}  # 2 and 3 kept, then cleared when 4 came


def test_masking_stays_bounded_and_masks_alike_after_its_memo_is_cleared(monkeypatch):
    """A site of the memo: the masked texts kept never exceed the limit, and a text masked
    again after a clear reads as before."""
    monkeypatch.setattr(masking, "_RECENT", {})
    monkeypatch.setattr(masking, "_RECENT_MAX", 5)
    texts = [f"当事人身份证号 11010519491231{n:03d}X 第 {n} 条" for n in range(40)]
    first = [masking.mask(t) for t in texts]
    assert all("*" in m for m in first)
    assert len(masking._RECENT) <= 5
    assert [masking.mask(t) for t in texts] == first
    assert len(masking._RECENT) <= 5
