"""Writing an imported table over the YAML a maintainer already keeps: comments, key order and
flow style of the existing file survive (ruamel.yaml's round-trip mode); only values the
spreadsheet changed are replaced. Items are matched by `id`, tiers by `tier`, other list entries
by position. Keys the import no longer produces are removed, except `waivers` and other keys the
spreadsheet does not carry (an import never drops a maintainer's notes it cannot see)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

_IDENTITY = ("id", "tier")
# keys an import always produces for these mappings; others present in the file are kept
_OWNED_AT = {"items", "tiers"}


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096  # never re-wrap long Chinese lines
    y.indent(mapping=2, sequence=4, offset=2)
    y.representer.add_representer(
        type(None), lambda rep, _: rep.represent_scalar("tag:yaml.org,2002:null", "null")
    )
    return y


def _identity(entry: Any) -> Any:
    if isinstance(entry, dict):
        for key in _IDENTITY:
            if key in entry:
                return (key, entry[key])
    return None


def _merge(old: Any, new: Any, path: tuple[str, ...] = ()) -> Any:
    if isinstance(old, CommentedMap) and isinstance(new, dict):
        for key, value in new.items():
            if key in old:
                old[key] = _merge(old[key], value, (*path, str(key)))
            else:
                old[key] = value
        if (path and path[-1] in _OWNED_AT) or (len(path) >= 2 and path[-2] in _OWNED_AT):
            for key in [k for k in old if k not in new]:
                del old[key]
        return old
    if isinstance(old, CommentedSeq) and isinstance(new, list):
        by_id = {_identity(e): e for e in old if _identity(e) is not None}
        merged = []
        for i, value in enumerate(new):
            ident = _identity(value)
            if ident is not None and ident in by_id:
                merged.append(_merge(by_id[ident], value, (*path, str(i))))
            elif ident is None and i < len(old):
                merged.append(_merge(old[i], value, (*path, str(i))))
            else:
                merged.append(value)
        if [id(x) for x in merged] != [id(x) for x in old]:
            old[:] = merged
        return old
    if isinstance(old, bool) or isinstance(new, bool):  # 1 == True: compare types too
        return old if type(old) is type(new) and old == new else new
    return old if old == new else new  # equal: keep the file's scalar style (folded, quoted)


def merge_into(path: Path, table: dict[str, Any]) -> str:
    """The text of `path` with `table`'s values merged in (comments and key order kept)."""
    y = _yaml()
    doc = y.load(path.read_text(encoding="utf-8"))
    if not isinstance(doc, CommentedMap):
        return dump_new(table)
    _merge(doc, table)
    out = io.StringIO()
    y.dump(doc, out)
    return out.getvalue()


def dump_new(table: dict[str, Any]) -> str:
    out = io.StringIO()
    _yaml().dump(table, out)
    return out.getvalue()
