"""Tables (statutory clauses, benchmark tiers, exemption lists) and the expanders that turn
their rows into rule variants.

A pack rule with `expand: NAME` is instantiated once per row the expander yields: the row
contributes a condition (ANDed with the rule's own `when`) and context values the message
quotes. The engine thus knows kinds of tables, never a specific article or tier.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .conditions import Cond


@dataclass(frozen=True)
class Variant:
    suffix: str  # unique within the rule, e.g. "安全生产法-2021-97-initial-unit"
    when: Cond
    context: dict[str, Any]


@dataclass
class Tables:
    """Loaded tables by type, e.g. tables.of("statute")."""

    by_type: dict[str, list[Any]] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)

    def of(self, table_type: str) -> list[Any]:
        return self.by_type.get(table_type, [])


class StoredTables(Tables):
    """`Tables` as the rule-book cache keeps them (packs/bookcache.py): the tables themselves —
    pydantic models of the table modules, ~13 ms to import — are unpickled at their first use,
    which the review of most files never needs. `pickled` is part of the signed cache entry."""

    def __init__(self, pickled: bytes, files: list[Path]) -> None:
        self._pickled = pickled
        self.files = files

    def __getattr__(self, name: str) -> Any:
        if name != "by_type" or "_pickled" not in self.__dict__:
            raise AttributeError(name)
        import pickle

        by_type = self.__dict__["by_type"] = pickle.loads(self._pickled)  # authenticated with the book
        return by_type

    def __reduce__(self) -> tuple[Any, ...]:
        return (StoredTables, (self._pickled, self.files))

    def __eq__(self, other: object) -> bool:  # equal to the `Tables` it was stored from
        return isinstance(other, Tables) and (self.by_type, self.files) == (other.by_type, other.files)

    __hash__ = None  # type: ignore[assignment]  # as Tables: mutable, unhashable


Expander = Callable[[Tables], list[Variant]]
EXPANDERS: dict[str, Expander] = {}
TABLE_LOADERS: dict[str, Callable[[Path, Any], Any]] = {}


def expander(name: str) -> Callable[[Expander], Expander]:
    def register(func: Expander) -> Expander:
        EXPANDERS[name] = func
        return func

    return register


def table_loader(table_type: str) -> Callable[[Callable[[Path, Any], Any]], Callable[[Path, Any], Any]]:
    def register(func: Callable[[Path, Any], Any]) -> Callable[[Path, Any], Any]:
        TABLE_LOADERS[table_type] = func
        return func

    return register


def load_tables(root: Path, problems: list[str]) -> Tables:
    """Every YAML under `root` whose first key is `table:` is loaded by its type's loader."""
    import yaml

    from . import tables as _tables  # noqa: F401  (registers the table loaders and expanders)

    loaded = Tables()
    for path in sorted(root.rglob("*.yaml")):
        if "examples" in path.parts:
            continue
        with path.open(encoding="utf-8") as handle:
            head = handle.readline()
        if not head.startswith("table:"):
            continue
        try:
            from .loader import PackError, PackYamlLoader, _guard_pack_text

            text = path.read_text(encoding="utf-8")
            _guard_pack_text(path, text)  # as for packs: size, nesting, alias expansion, tags
            data = yaml.load(text, Loader=PackYamlLoader)  # a SafeLoader subclass
            table_type = data["table"]["type"]
            loader = TABLE_LOADERS[table_type]
        except PackError as exc:
            problems.extend(exc.problems)
            continue
        except yaml.MarkedYAMLError as exc:
            line = exc.problem_mark.line + 1 if exc.problem_mark else 1
            problems.append(f"{path}:{line} YAML 错误：{exc.problem}")
            continue
        except (yaml.YAMLError, KeyError, TypeError) as exc:
            problems.append(f"{path}:1 无法识别的表格文件：{exc}")
            continue
        try:
            loaded.by_type.setdefault(table_type, []).append(loader(path, data))
            loaded.files.append(path)
        except ValueError as exc:
            problems.append(f"{path}:{getattr(exc, 'line', 1)} {exc}")
    return loaded
