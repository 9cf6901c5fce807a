"""Project configuration: `[tool.casereview]` in pyproject.toml, or a `.casereview.toml`.

Found by walking up from the working directory (in each folder `.casereview.toml` first, then a
pyproject.toml that has a `[tool.casereview]` table); `--config FILE` names one, `--isolated`
ignores them. Paths are relative to the configuration file. Options on the command line win.

    [tool.casereview]
    select = ["CERT", "BM-001"]     # rule codes or prefixes
    ignore = ["TS-003"]
    roster = "台账/证件台账.csv"
    calendar = "日历"               # <YYYY>.yaml per year the holiday package lacks
    profile = "评查标准.yaml"
    rules = "rules"                 # rules folder; packs = ["extra.yaml"]
    fail-on = "veto"
    format = "text"                 # check's output format
    formats = ["html", "xlsx"]      # review's output formats
    exclude = ["模板/*"]
    waivers = "豁免.yaml"
    baseline = ".casereview-baseline.json"
    campaign = "2026 年全省应急管理行政处罚案卷评查"
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CONFIG_NAME = ".casereview.toml"

# key → (kind, attribute on the argparse namespace)
KEYS: dict[str, tuple[str, str]] = {
    "select": ("codes", "select"),
    "ignore": ("codes", "ignore"),
    "extend-select": ("codes", "extend_select"),
    "roster": ("path", "roster"),
    "calendar": ("path", "calendar"),
    "profile": ("path", "profile"),
    "rules": ("path", "rules"),
    "packs": ("paths", "pack"),
    "fail-on": ("choice", "fail_on"),
    "format": ("str", "format"),
    "formats": ("strs", "formats"),
    "exclude": ("strs", "exclude"),
    "waivers": ("path", "waivers"),
    "baseline": ("path", "baseline"),
    "campaign": ("str", "campaign"),
    "engine": ("str", "engine"),
}


class ConfigError(Exception):
    """The configuration cannot be used; the message is Chinese and names the file and key."""


@dataclass
class Config:
    path: Path | None = None
    values: dict[str, Any] = field(default_factory=dict)  # namespace attribute → value


def find_config(start: Path | None = None) -> Path | None:
    folder = (start or Path.cwd()).resolve()
    for here in (folder, *folder.parents):
        candidate = here / CONFIG_NAME
        if candidate.is_file():
            return candidate
        pyproject = here / "pyproject.toml"
        if pyproject.is_file():
            import tomllib  # only with a TOML file to read (~3 ms to import)

            try:
                data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                continue
            if "casereview" in data.get("tool", {}):
                return pyproject
        if (here / ".git").exists():
            break  # the project's root: a config above it belongs to someone else
    return None


def load_config(path: Path) -> Config:
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"配置文件 {path} 无法读取：{exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"配置文件 {path} 不是有效的 TOML：{exc}") from None
    if path.name == "pyproject.toml":
        table = data.get("tool", {}).get("casereview", {})
        prefix = "tool.casereview."
    else:
        table = data.get("tool", {}).get("casereview", data)
        prefix = ""
    base = path.parent
    values: dict[str, Any] = {}
    for key, value in table.items():
        spec = KEYS.get(key.replace("_", "-"))
        if spec is None:
            import difflib

            close = difflib.get_close_matches(key, list(KEYS), n=1)
            hint = f"；是否要写 {close[0]}？" if close else f"；可用的键：{'、'.join(KEYS)}"
            raise ConfigError(f"配置文件 {path}：未知的键 {prefix}{key}{hint}")
        kind, attr = spec
        values[attr] = _convert(path, prefix + key, kind, value, base)
    return Config(path, values)


def _convert(path: Path, key: str, kind: str, value: Any, base: Path) -> Any:
    def bad(expected: str) -> ConfigError:
        return ConfigError(f"配置文件 {path}：{key} 应为{expected}，实际为 {value!r}")

    if kind in ("path", "str", "choice"):
        if not isinstance(value, str) or not value:
            raise bad("字符串")
        if kind == "choice":
            from .exitcodes import FAIL_ON_CHOICES

            if value not in FAIL_ON_CHOICES:
                raise ConfigError(
                    f"配置文件 {path}：{key} 应为 {'、'.join(FAIL_ON_CHOICES)} 之一，实际为 {value!r}"
                )
        return base / value if kind == "path" else value
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise bad("字符串列表")
    if kind == "paths":
        return [base / v for v in value]
    return list(value)
