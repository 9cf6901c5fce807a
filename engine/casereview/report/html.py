"""Self-contained offline HTML report: OUT/index.html, OUT/cases/<n>.html, OUT/style.css.

Case pages are written as results arrive; only `CaseSummary` objects stay in memory for the
summary page. Templates run in a jinja2 SandboxedEnvironment with autoescape on; every rendered
value passes through `finalize`, which masks personal identifiers unless masking is off.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from ..analysis import CaseSummary, describe_group
from ..packs.schema import SEVERITY_LABELS
from ..review import CaseResult
from .location import where
from .masking import mask as mask_text

CSS_NAME = "style.css"


def default_templates_dir() -> Path:
    """Templates shipped in the wheel, or the checkout's `reports/templates/` when run from source."""
    packaged = Path(__file__).resolve().parent.parent / "_data" / "templates"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "reports" / "templates"


def make_environment(templates: Path | None = None, mask: bool = True) -> SandboxedEnvironment:
    def finalize(value: Any) -> Any:
        if value is None:
            return ""
        if not mask:
            return value
        if isinstance(value, Markup):
            return Markup(mask_text(str(value)))
        return mask_text(str(value))

    env = SandboxedEnvironment(
        loader=FileSystemLoader(str(templates or default_templates_dir())),
        autoescape=True,
        finalize=finalize,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(labels=SEVERITY_LABELS, describe=describe_group, where=where)
    return env


class HtmlReport:
    """Streamed writer: `add` each result as it arrives, then `finish` with the batch analysis."""

    def __init__(
        self, out_dir: Path, meta: dict[str, Any] | Any, mask: bool = True, templates: Path | None = None
    ):
        from .formats import ReportContext, context_from_meta

        if not isinstance(meta, ReportContext):
            meta = context_from_meta({**meta, "masked": mask})
        self.ctx = meta
        self.out = Path(out_dir)
        self.meta = meta
        self.mask = meta.mask
        self.templates = templates or default_templates_dir()
        self.env = make_environment(self.templates, mask)
        (self.out / "cases").mkdir(parents=True, exist_ok=True)
        self._case = self.env.get_template("case.html")

    @staticmethod
    def page_of(index: int) -> str:
        return f"cases/{index + 1}.html"

    def add(self, result: CaseResult, index: int) -> CaseSummary:
        page = self.page_of(index)
        categories = {c.id: c.name for c in result.score.categories} if result.score else {}
        html = self._case.render(
            r=result,
            pending=result.pending_review,
            categories=categories,
            meta=self.meta,
            masked=self.mask,
            css=f"../{CSS_NAME}",
        )
        (self.out / page).write_text(html, encoding="utf-8")
        return CaseSummary.of(result, index, page)

    def finish(self, summaries: list[CaseSummary], analysis: dict[str, Any]) -> Path:
        shutil.copyfile(self.templates / CSS_NAME, self.out / CSS_NAME)
        ranked = sorted(
            (s for s in summaries if s.reviewed),
            key=lambda s: (-(s.score or 0), s.counts.get("deduct", 0), s.file),
        )
        html = self.env.get_template("index.html").render(
            analysis=analysis,
            ranked=ranked,
            rejected=[s for s in summaries if not s.reviewed],
            pages={s.file: s.page for s in summaries},
            meta=self.meta,
            masked=self.mask,
            css=CSS_NAME,
        )
        index = self.out / "index.html"
        index.write_text(html, encoding="utf-8")
        return index


def write_html(results: list[CaseResult], out_dir: Path, meta: dict[str, Any], mask: bool = True) -> Path:
    """Non-streamed convenience: render a whole list."""
    from ..analysis import analyse

    report = HtmlReport(out_dir, meta, mask)
    summaries = [report.add(r, i) for i, r in enumerate(results)]
    return report.finish(summaries, analyse(summaries))
