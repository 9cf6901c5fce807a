"""Time input parsing per file: YAML with positions (fast path, slow path) and JSON positions.

    python bench/parse_speed.py CORPUS_DIR [--repeat 5] [--engine ENGINE_DIR]

CORPUS_DIR holds files from `bench/corpus.py`. Texts are read first; the times are parsing only
(best of --repeat passes, µs per file). "cold" clears the fast path's caches before each file
(a process that has seen nothing yet); the other fast-path figure is a batch, in which repeated
lines and values are recognised. --engine times another checkout's engine (e.g. an older one).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import yaml


def best(texts: list[str], parse: Callable[[str], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        for text in texts:
            parse(text)
        times.append(time.perf_counter() - start)
    return min(times) / len(texts) * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--engine", type=Path, default=Path(__file__).resolve().parents[1] / "engine")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(args.engine))
    from casereview.load import jsonpos, source, yamlpos

    yaml_texts = [p.read_text(encoding="utf-8") for p in sorted(args.corpus.glob("*.yaml"))]
    json_texts = [p.read_text(encoding="utf-8") for p in sorted(args.corpus.glob("*.json"))]
    print(f"engine {args.engine}")
    rows: list[tuple[str, float]] = []
    if yaml_texts:
        size = sum(map(len, yaml_texts)) // len(yaml_texts)
        print(f"{len(yaml_texts)} YAML files, {size} characters on average")
        rows.append(
            (
                "yaml.load(CSafeLoader)",
                best(yaml_texts, lambda t: yaml.load(t, yaml.CSafeLoader), args.repeat),
            )
        )
        rows.append(
            ("parse_yaml (slow path)", best(yaml_texts, lambda t: yamlpos.parse_yaml(t, "x"), args.repeat))
        )
        rows.append(
            ("parse_text", best(yaml_texts, lambda t: source.parse_text(t, "x", fmt="yaml"), args.repeat))
        )
        fast = getattr(source, "parse_yaml_fast", None)
        if fast is not None:
            from casereview.load import fastyaml

            def cold(text: str) -> object:
                fastyaml._LINES.clear()
                getattr(fastyaml, "_resolve_cached", getattr(fastyaml, "_resolve", None)).cache_clear()
                return source.parse_text(text, "x", fmt="yaml")

            rows.append(("parse_text, cold caches", best(yaml_texts, cold, args.repeat)))
            taken = sum(fast(t, "x") is not None for t in yaml_texts)
            print(f"fast path taken for {taken} of {len(yaml_texts)}")
    if json_texts:
        size = sum(map(len, json_texts)) // len(json_texts)
        print(f"{len(json_texts)} JSON files, {size} characters on average")
        rows.append(("json_positions", best(json_texts, jsonpos.json_positions, args.repeat)))
        rows.append(("  json.loads alone", best(json_texts, __import__("json").loads, args.repeat)))
    for name, micros in rows:
        print(f"{name:28s} {micros:8.0f} µs/file")
    return 0


if __name__ == "__main__":
    sys.exit(main())
