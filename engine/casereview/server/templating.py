"""The jinja2 environment of the web pages and the exported results page: autoescape on, and
every rendered value passes through `finalize`, which masks personal identifiers
(report/masking.py) unless masking is off."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup

from ..report.masking import mask as mask_text

TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")


def masking_finalize(mask: bool = True):
    def finalize(value: Any) -> Any:
        if value is None:
            return ""
        if not mask:
            return value
        if isinstance(value, Markup):
            return Markup(mask_text(str(value)))
        if isinstance(value, str):
            return mask_text(value)
        return value

    return finalize


def environment(mask: bool = True) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        finalize=masking_finalize(mask),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["inline_css"] = Markup((STATIC / "app.css").read_text(encoding="utf-8"))
    return env
