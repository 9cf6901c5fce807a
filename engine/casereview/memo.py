"""Bounded memos: plain dicts, cleared whole when full.

Many stages keep what they made for values that recur across a batch's files (masked texts,
HTML fragments, workbook cells, filters' verdicts, projections, citations' fields...). Each memo
is a plain dict, looked up inline (`memo.get(key)`, `memo[key]` with `KeyError`, a dict
subclass's `__missing__`, or `map(memo.__getitem__, keys)` in C): a hit costs one look-up and
nothing else. Only a miss calls `remember`, which bounds the memo by its number of entries by
clearing it whole when it is full, rather than evicting the least recently used entry:

- An LRU must record every hit (`functools.lru_cache`'s linked list behind a wrapper call,
  `OrderedDict.move_to_end`): a cost on each hit, the common case, for an overflow that hardly
  ever happens.
- A batch's working set is small (a few dozen to a few hundred keys: the same rules, laws,
  dates, messages and lines recur), far below the limits: the bound only guards memory against
  unusual input (unique texts, long batches of distinct values), and after a clear the working
  set is made again within a few files.
- A plain dict allows what the sites need: per-instance and per-book memos, `__missing__`
  subclasses, entries kept only when worth it (a text up to a length, a key with no unknown):
  such caps on what is kept stay at the site, before the call; the count bounds the rest.

Memos that must be cleared together, or are bounded by something other than their count of
entries (characters of texts kept, oldest first), do not use this.
"""

from __future__ import annotations

from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


def remember(memo: dict[K, V], key: K, value: V, limit: int) -> V:
    """Keep `value` for `key` in `memo` (a miss: `key` is not in it) and return `value`; `memo`
    holds at most `limit` entries: when full, it is cleared whole first."""
    if len(memo) >= limit:
        memo.clear()
    memo[key] = value
    return value
