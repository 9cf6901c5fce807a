"""Self-contained offline HTML report: OUT/index.html, OUT/cases/<n>.html, OUT/style.css.

Case pages are written as results arrive; only each file's row for the summary pages (a flat
tuple, `SummaryRow`'s fields) stays in memory. The ranking and the list of rejected files are
paged (`ranking-<n>.html`, PAGE_SIZE rows each) and the 同案异罚 tables are capped on the index
with the full list on `like-cases.html`, so index.html stays small at any batch size.

On a case page findings are grouped by rule (the places listed under it), groups sorted by
severity then by their first position in the file; each place shows the case file's lines
around it. Templates run in a jinja2 SandboxedEnvironment with autoescape on; every rendered
value passes through `finalize`, which masks personal identifiers unless masking is off. The
finding groups, most of a case page's values, are built as HTML by `finding_html.groups_html`
(masked and escaped the same way, in a fraction of the time).
"""

from __future__ import annotations

import os
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

from jinja2 import FileSystemLoader
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from ..analysis import _intern, describe_group
from ..load.source import recent_lines, recent_text
from ..packs.schema import SEVERITY_LABELS
from ..review import CaseResult
from .case_page import frame, page
from .finding_html import Fragment, groups_html, text_of
from .labels import status_label, value_labels
from .location import where, where_of
from .masking import mask as mask_text
from .outfile import open_sized

CSS_NAME = "style.css"
JS_NAME = "filter.js"  # the on-page table filter (offline, no libraries)
PAGE_SIZE = 100  # ranking / rejected rows per page
INDEX_CAP = 50  # 同案异罚 rows on the index (all on like-cases.html)
_HOME = "../index.html"  # the index, seen from a case page


def default_templates_dir() -> Path:
    """Templates shipped in the wheel, or the checkout's `reports/templates/` when run from source."""
    packaged = Path(__file__).resolve().parent.parent / "_data" / "templates"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "reports" / "templates"


_DICT_ATTRIBUTES = frozenset(dir(dict))
# objects whose attributes the sandbox guards beyond the leading underscore (jinja2.sandbox.
# is_internal_attribute): functions, methods, classes, code, frames, generators, coroutines
_GUARDED = (
    types.FunctionType,
    types.MethodType,
    type,
    types.CodeType,
    types.TracebackType,
    types.FrameType,
    types.GeneratorType,
    types.CoroutineType,
    types.AsyncGeneratorType,
)


class _Environment(SandboxedEnvironment):
    """The sandbox with the same answers, found faster for the values reports show (a third of
    a page's rendering time went to the general path): `x.key` on a plain dict is looked up
    directly (a dict has no attribute of that name, so the sandbox would end there too), and on
    a data object (no function, class, frame …) only names starting with "_" are refused, which
    is all the sandbox's check amounts to for such objects."""

    _plain: ClassVar[dict[type, bool]] = {}  # class → not guarded (cached)

    def getattr(self, obj: Any, attribute: str) -> Any:
        cls = obj.__class__
        if cls is dict:
            if attribute in _DICT_ATTRIBUTES:
                return super().getattr(obj, attribute)
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        plain = self._plain.get(cls)
        if plain is None:
            plain = self._plain[cls] = not issubclass(cls, _GUARDED)
        if not plain or attribute.startswith("_"):
            return super().getattr(obj, attribute)
        try:
            value = getattr(obj, attribute)
        except AttributeError:
            return super().getattr(obj, attribute)
        wrapped = self.wrap_str_format(value)  # str.format reached as an attribute: sandboxed
        return value if wrapped is None else wrapped


def make_environment(templates: Path | None = None, mask: bool = True) -> SandboxedEnvironment:
    def finalize(value: Any) -> Any:
        if value is None:
            return ""
        cls = value.__class__
        if not mask or cls is Fragment:  # a fragment built by finding_html: masked already
            return value
        if cls is str:  # most values: masking needs 11 characters at least
            return value if len(value) < 11 else mask_text(value)
        if isinstance(value, Markup):
            return Markup(mask_text(str(value)))
        return mask_text(str(value))

    env = _Environment(
        loader=FileSystemLoader(str(templates or default_templates_dir())),
        autoescape=True,
        finalize=finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # templates do not change during a review: no stat per page rendered
    )
    env.globals.update(labels=SEVERITY_LABELS, describe=describe_group, where=where)
    env.globals["ranking_rows"] = ranking_rows_of(mask)
    env.globals["pager"] = pager_of(mask)
    env.globals["outlier_rows"] = outlier_rows_of(mask)
    env.filters["yuan"] = yuan
    return env


def yuan(amount: float) -> str:
    """An amount in yuan as the reports show it: thousands separated, no decimals (12,500)."""
    return f"{amount:,.0f}"


def read_lines(path: str) -> list[str] | None:
    """The case file's lines for excerpts (None when it cannot be read: stdin, moved files).
    The texts the review has just read and decoded are taken as they are (no second read); a text
    that may come from more than 5 MB is looked at on disk."""
    text = recent_text(path)
    if text is not None and len(text) <= 1_250_000:  # 4 bytes a character at most
        return recent_lines(path)
    try:
        raw = Path(path).read_bytes()
    except OSError:
        return None
    if len(raw) > 5_000_000:
        return None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding).splitlines()
        except UnicodeDecodeError:
            continue
    return None


def write_file(path: str, data: bytes) -> None:
    """`data` as the file `path`, in four system calls (open, fstat, write, close): one per case
    page, thousands per review, where a text file object adds as many again. A page written again
    (a review into the same folder) is overwritten in place, cut to its length only when the old
    one was longer: truncating it first frees its blocks only to allocate them again (~0.1–0.3 ms
    of kernel time a page on ext4 with discard, ~0.01 ms in place), and each system call costs
    ~10–15 µs in a worker between reviews (cold caches)."""
    fd, held = open_sized(path)  # never through a link left in the output folder
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        if held > len(data):
            os.ftruncate(fd, len(data))
    finally:
        os.close(fd)


class SummaryRow(NamedTuple):
    """What the summary pages show of one file: its ranking row, or its line among the files that
    could not be reviewed (`rejection`)."""

    page: str
    file: str
    reviewed: bool
    case_number: str | None
    title: str | None
    agency: str | None
    party: str | None
    score: float | None
    graded: bool  # False: 未结案 / 无法评分 (ranked last, its score for reference only)
    deducted: float | None  # points deducted (sum over the profile's categories)
    grade: str | None
    vetoes: int  # findings of severity veto
    pending: int  # findings of severity review (待人工评查)
    status_label: str
    rejection: list[str]


def summary_row(result: CaseResult, page: str) -> tuple[Any, ...]:
    """`SummaryRow`'s fields for `result`, whose case page is `page`, as a plain tuple: made in
    the worker that wrote the page and kept by the parent until the summary pages, where a
    `CaseSummary` cost ~9 µs a file to pickle and unpickle and this ~0.5. Strings that repeat
    across files are interned (one copy per message sent)."""
    score = result.score
    severities = [f.severity for f in result.findings]
    return (
        page,
        result.file,
        result.status == "reviewed",
        result.case_number,
        result.title,
        _intern(result.agency),
        result.party,
        score.score if score else None,
        score.graded if score else True,
        sum(c.deducted for c in score.categories) if score else None,
        _intern(score.grade) if score else None,
        severities.count("veto"),
        severities.count("review"),
        _intern(status_label(result)),
        [f"{where_of(e)}：{e.message}" for e in result.errors],
    )


def pages(items: list[Any], size: int = PAGE_SIZE) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)] or [[]]


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
        self.env = make_environment(self.templates, self.mask)
        self.labels = value_labels(meta.rulebook)
        (self.out / "cases").mkdir(parents=True, exist_ok=True)
        for name in ("base.html", "macros.html"):  # compiled here, not again in each worker process
            self.env.get_template(name)
        # the case pages' frame, rendered once (each page fills in its title, heading and body)
        self._frame = frame(self.env, meta=meta, masked=self.mask, css=f"../{CSS_NAME}", home=_HOME)

    @staticmethod
    def page_of(index: int) -> str:
        return f"cases/{index + 1}.html"

    def render(self, result: CaseResult) -> str:
        """The case page of `result` (masked unless masking is off)."""
        found, pending = (
            groups_html(result, self.labels, self.ctx.display, read_lines(result.file), self.mask)
            if result.findings
            else ([], [])
        )
        return page(
            self._frame,
            result,
            file=self.ctx.display(result.file),
            status=status_label(result),
            found=found,
            pending=pending,
            profile=self.meta.profile,
            home=_HOME,
            e=text_of(self.mask),
            masked=self.mask,
        )

    def write_page(self, result: CaseResult, index: int) -> str:
        """Render and write the case page of the file at `index`; its name in the folder."""
        page = self.page_of(index)
        write_file(f"{self.out}/{page}", self.render(result).encode())
        return page

    def add(self, result: CaseResult, index: int) -> tuple[Any, ...]:
        """Writes the case page of the file at `index`; its row for the summary pages (`summary_row`)."""
        return summary_row(result, self.write_page(result, index))

    def finish(self, rows: list[tuple[Any, ...]], analysis: dict[str, Any]) -> Path:
        """The summary pages of the files whose `add` gave `rows`, and the batch's `analysis`."""
        summaries = list(map(SummaryRow._make, rows))
        for asset in (CSS_NAME, JS_NAME):
            write_file(str(self.out / asset), (self.templates / asset).read_bytes())
        ranked = sorted(  # a file not graded (未结案 / 无法评分) has no place among graded ones: last
            (s for s in summaries if s.reviewed),
            key=lambda s: (not s.graded, -(s.score or 0), s.deducted or 0, s.file),
        )
        rejected = [s for s in summaries if not s.reviewed]
        ranking_pages = pages(ranked)
        rejected_pages = pages(rejected)
        common = {"meta": self.meta, "masked": self.mask, "css": CSS_NAME, "home": "index.html"}
        common["display"] = self.ctx.display
        common["peers_cell"] = peers_cells(self.ctx.display, self.mask)
        # an interrupted review says so on every summary page (case pages are written as results
        # arrive, before anyone knows; those of the files not reviewed say so themselves)
        common["partial"] = bool(self.ctx.extra.get("partial"))
        for n, rows in enumerate(ranking_pages[1:], start=2):
            self._write(
                f"ranking-{n}.html",
                "list.html",
                kind="ranking",
                rows=rows,
                offset=(n - 1) * PAGE_SIZE,
                page=n,
                page_count=len(ranking_pages),
                **common,
            )
        for n, rows in enumerate(rejected_pages[1:], start=2):
            self._write(
                f"rejected-{n}.html",
                "list.html",
                kind="rejected",
                rows=rows,
                offset=(n - 1) * PAGE_SIZE,
                page=n,
                page_count=len(rejected_pages),
                **common,
            )
        lc = analysis["like_cases"]
        self._write(
            "like-cases.html",
            "like_cases.html",
            lc=lc,
            outliers=lc["outliers"],
            groups=lc["groups"],
            pages=_PageLookup(summaries),
            **common,
        )
        return self._write(
            "index.html",
            "index.html",
            analysis=analysis,
            ranked=ranking_pages[0],
            ranking_pages=len(ranking_pages),
            ranked_total=len(ranked),
            rejected=rejected_pages[0],
            rejected_pages=len(rejected_pages),
            rejected_total=len(rejected),
            outliers=lc["outliers"][:INDEX_CAP],
            groups=lc["groups"][:INDEX_CAP],
            cap=INDEX_CAP,
            pages=_PageLookup(summaries),
            **common,
        )

    def _write(self, name: str, template: str, **values: Any) -> Path:
        """A summary page, written over the last review's in place as the case pages are (truncating
        a page first waits for its blocks' write-back when the last review wrote it seconds ago:
        ~0.4 s at 10,000 files, like-cases.html alone is ~10 MB)."""
        path = self.out / name
        write_file(str(path), self.env.get_template(template).render(**values).encode())
        return path


def peers_cells(display: Callable[[str], str], mask: bool) -> Callable[[dict[str, Any]], Fragment]:
    """`peers_cell(outlier)`: the 同案异罚 cell naming the outlier's peer group and its first
    cases, as HTML. The outliers of one group share that cell (and its peers list): thousands of
    rows, a few dozen groups, so each cell is built once."""
    text = text_of(mask)
    built: dict[tuple[int, int, int], Fragment] = {}

    def cell(o: dict[str, Any]) -> Fragment:
        key = (id(o["group"]), id(o["peers"]), o["group_size"])  # alive as long as the analysis
        html = built.get(key)
        if html is None:
            peers = o["peers"]
            names = "；".join(
                f"{text(p['case_number'] or display(p['file']))}（{text(yuan(p['amount']))} 元）"
                for p in peers
            )
            more = f" 等共 {text(o['group_size'])} 件" if o["group_size"] > len(peers) else ""
            html = built[key] = Fragment(
                f'{text(describe_group(o["group"]))}<br><span class="muted">{names}{more}</span>'
            )
        return html

    return cell


def pager_of(mask: bool) -> Callable[[str, int, int, str], Fragment]:
    """`pager(kind, page, count, home)`: a list's page links as HTML (what the `pager` macro made,
    tests/data/pager_macro.html). At 10,000 files each of the hundred ranking pages links to all
    the others, ~1 ms a page through the template; the links are made once per list here and
    each page marks its own."""
    e = text_of(mask)
    whole = mask_text if mask else str  # a macro's output is masked once more as a whole
    made: dict[tuple[str, int, str], list[str]] = {}

    def pager(kind: str, page: int, count: int, home: str) -> Fragment:
        if count <= 1:
            return Fragment("")
        links = made.get((kind, count, home))
        if links is None:
            k = e(kind)
            links = made[(kind, count, home)] = [
                f'<a href="{e(home)}#{k}">1</a> ',
                *(f'<a href="{k}-{e(n)}.html">{e(n)}</a> ' for n in range(2, count + 1)),
            ]
        if 1 <= page <= count:
            links = [*links[: page - 1], f"<strong>{e(page)}</strong> ", *links[page:]]
        return Fragment(whole(f'<nav class="pager">第 {e(page)} / {e(count)} 页：{"".join(links)}</nav>'))

    return pager


def ranking_rows_of(mask: bool) -> Callable[[list[SummaryRow], int, Callable[[str], str]], Fragment]:
    """`ranking_rows(rows, offset, display)`: the ranking table's rows as HTML — thousands at
    10,000 files, a third of the summary pages' time through the template."""
    e = text_of(mask)
    whole = mask_text if mask else str  # a macro's output is masked once more as a whole

    def grade(g: Any) -> str:
        cls = "grade-fail" if g == "不合格" else ("grade-none" if g in ("未结案", "无法评分") else "grade-ok")
        return whole(f'<span class="{cls}">{e(g)}</span>')

    def rows(summaries: list[SummaryRow], offset: int, display: Callable[[str], str]) -> Fragment:
        out = []
        for n, s in enumerate(summaries, offset + 1):
            score = e(f"{s.score:g}")
            if not s.graded:
                score = f'<span class="grade-none">—</span> <span class="muted">参考 {score}</span>'
            deducted = "—" if s.deducted is None else f"{e(f'{s.deducted:g}')} 分"
            out.append(
                f'<tr><td class="num">{n}</td><td><a href="{e(s.page)}">{e(s.case_number or display(s.file))}'
                f"</a></td><td>{e(s.title)}</td><td>{e(s.agency)}</td><td>{e(s.party)}</td>"
                f'<td class="num">{score}</td><td>{grade(s.grade)}</td><td class="num">{deducted}</td>'
                f'<td class="num">{e(s.vetoes)}</td><td class="num">{e(s.pending)}</td>'
                f"<td>{e(s.status_label)}</td></tr>\n"
            )
        return Fragment("".join(out))

    return rows


def outlier_rows_of(mask: bool) -> Callable[..., Fragment]:
    """`outlier_rows(outliers, pages, display, peers_cell)`: the 同案异罚 table's rows as HTML
    (thousands on like-cases.html at 10,000 files)."""
    e = text_of(mask)

    def rows(
        outliers: list[dict[str, Any]],
        pages: Any,
        display: Callable[[str], str],
        peers_cell: Callable[[dict[str, Any]], Fragment],
    ) -> Fragment:
        out = []
        for o in outliers:
            file = o.get("file")
            deviation = e(f"{o['deviation'] * 100:+.0f}")
            out.append(
                f'<tr><td><a href="{e(pages.get(file, "#"))}">{e(o.get("case_number") or display(file))}</a>'
                f'</td><td>{e(o.get("agency"))}</td><td class="num">{e(yuan(o["amount"]))}</td>'
                f'<td class="num">{e(yuan(o["median"]))}</td><td class="num">{deviation}%</td>'
                f"\n<td>{peers_cell(o)}</td></tr>\n"
            )
        return Fragment("".join(out))

    return rows


class _PageLookup:
    """`pages.get(file)` for the few outliers on the index without a dict of every file."""

    def __init__(self, summaries: list[SummaryRow]):
        self._summaries = summaries
        self._index: dict[str, str] | None = None

    def get(self, file: str, default: str = "#") -> str:
        if self._index is None:
            self._index = {s.file: s.page for s in self._summaries}
        return self._index.get(file, default)


def write_html(results: list[CaseResult], out_dir: Path, meta: dict[str, Any], mask: bool = True) -> Path:
    """Non-streamed convenience: render a whole list."""
    from ..analysis import analyse_results

    report = HtmlReport(out_dir, meta, mask)
    rows = [report.add(r, i) for i, r in enumerate(results)]
    return report.finish(rows, analyse_results(results))
