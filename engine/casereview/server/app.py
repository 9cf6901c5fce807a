"""The reviewer web app: login, a reviewer's queue, the file page (machine findings with citation and
case-file excerpt; confirm/override; human items; add a finding; sign off), and for the lead the
campaign's progress, two reviewers' disagreements side by side with their resolution, and the
final results.

Pages are rendered on the server (jinja2, autoescaped, identifiers masked); forms carry a CSRF
token (Flask-WTF) and the file's revision, so a page submitted after someone else changed the same
item is refused with a Chinese message and re-shown with what was typed (nothing is lost).
"""

from __future__ import annotations

import os
import secrets
from functools import wraps
from pathlib import Path
from typing import Any

from flask import Flask, abort, g, redirect, render_template, request, send_file, session, url_for
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import case as sql_case
from sqlalchemy import func, select

from ..campaign import service
from ..campaign.models import RESOLUTION_SLOT, Assignment, Campaign, CaseRecord, SignOff, User
from ..campaign.service import CampaignError, DecisionInput, StaleError
from ..campaign.sheet import ADDED, FINDING, ITEM, UNGRADED, finding_keys
from ..campaign.store import Store
from ..packs.schema import SEVERITY_LABELS
from ..score.profile import VetoItem
from .templating import STATIC, TEMPLATES, masking_finalize

PAGE_SIZE = 50
SECRET_ENV = "CASEREVIEW_SECRET_KEY"
SECRET_FILE = ".casereview-secret"
EXCERPT_CONTEXT = 2  # lines either side of the line a finding points at


def secret_key_for(folder: Path | None) -> str:
    """$CASEREVIEW_SECRET_KEY, else a random key kept in the campaign folder (sessions survive restarts)."""
    if os.environ.get(SECRET_ENV):
        return os.environ[SECRET_ENV]
    path = (folder or Path.cwd()) / SECRET_FILE
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        key = secrets.token_hex(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(key)
        return key


class _App(Flask):
    pass


def create_app(store: Store, secret_key: str | None = None, mask: bool = True) -> Flask:
    app = _App(__name__, template_folder=str(TEMPLATES), static_folder=str(STATIC))
    app.jinja_options = {**Flask.jinja_options, "finalize": masking_finalize(mask)}
    app.config.update(
        SECRET_KEY=secret_key or secrets.token_hex(32),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the login session
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
    )
    CSRFProtect(app)
    app.extensions["casereview_store"] = store
    app.jinja_env.globals.update(severity_labels=SEVERITY_LABELS, status_labels=service.STATUS_LABELS)

    @app.after_request
    def security_headers(response):
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        return response

    @app.before_request
    def load_user():
        g.db = store.session()
        g.user = None
        uid = session.get("uid")
        if uid is not None:
            user = g.db.get(User, uid)
            if user is not None and user.active:
                g.user = user

    @app.teardown_request
    def close_session(_exc):
        db = g.pop("db", None)
        if db is not None:
            db.close()

    @app.errorhandler(400)
    def bad_request(exc):
        message = getattr(exc, "description", "") or "请求无效"
        if "CSRF" in str(message):
            message = "页面已过期或来源不明（安全令牌无效）：请刷新页面后重新提交"
        return render_template("message.html", title="请求无效", message=message), 400

    @app.errorhandler(403)
    def forbidden(_exc):
        return render_template("message.html", title="无权访问", message="你没有查看此页面的权限"), 403

    @app.errorhandler(404)
    def not_found(_exc):
        return render_template("message.html", title="未找到", message="页面或案卷不存在"), 404

    _routes(app, store)
    return app


def login_required(role: str | None = None):
    def wrap(view):
        @wraps(view)
        def inner(*args, **kwargs):
            if g.user is None:
                return redirect(url_for("login", next=request.path))
            if role and g.user.role != role:
                abort(403)
            return view(*args, **kwargs)

        return inner

    return wrap


def _routes(app: Flask, store: Store) -> None:
    @app.get("/")
    def home():
        if g.user is None:
            return redirect(url_for("login"))
        return redirect(url_for("lead_home" if g.user.role == "lead" else "queue"))

    @app.route("/login", methods=["GET", "POST"])
    def login():
        error = None
        if request.method == "POST":
            username = request.form.get("username", "").strip()
            user = g.db.scalar(select(User).where(User.username == username))
            if (
                user is not None
                and user.active
                and service.verify_password(user, request.form.get("password", ""))
            ):
                session.clear()  # no session fixation
                session["uid"] = user.id
                target = request.args.get("next", "")
                local = target.startswith("/") and not target.startswith("//") and "\\" not in target
                return redirect(target if local else url_for("home"))  # never off-site
            error = "用户名或密码错误"
        return render_template("login.html", error=error), (401 if error else 200)

    @app.post("/logout")
    def logout():
        session.clear()
        return redirect(url_for("login"))

    @app.get("/queue")
    @login_required("reviewer")
    def queue():
        status = request.args.get("status") or None
        page = max(1, request.args.get("page", 1, type=int))
        query = (
            select(CaseRecord, Assignment.slot)
            .join(Assignment, Assignment.case_id == CaseRecord.id)
            .where(Assignment.reviewer_id == g.user.id, Assignment.active)
        )
        if status:
            query = query.where(CaseRecord.status == status)
        total = g.db.scalar(select(func.count()).select_from(query.subquery()))
        order = sql_case({"assigned": 0, "in_review": 1, "disputed": 2}, value=CaseRecord.status, else_=3)
        rows = g.db.execute(
            query.order_by(order, CaseRecord.case_key).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
        ).all()
        counts = dict(
            g.db.execute(
                select(CaseRecord.status, func.count())
                .join(Assignment, Assignment.case_id == CaseRecord.id)
                .where(Assignment.reviewer_id == g.user.id, Assignment.active)
                .group_by(CaseRecord.status)
            ).all()
        )
        return render_template(
            "queue.html", rows=rows, total=total, page=page, pages=_pages(total), status=status, counts=counts
        )

    @app.get("/files/<int:case_id>")
    @login_required()
    def file_page(case_id: int):
        return _file_page(case_id)

    def _file_page(case_id: int, message: str | None = None, error: str | None = None, form=None, status=200):
        case = g.db.get(CaseRecord, case_id) or abort(404)
        slot = _slot(case)
        return render_template(
            "file.html", **_file_context(case, slot), message=message, error=error, form=form
        ), status

    def _slot(case: CaseRecord) -> int:
        own = service.slot_of(g.db, case, g.user)
        if own is None:
            abort(403)
        if g.user.role == "lead":
            wanted = request.values.get("slot", type=int)
            return wanted if wanted in (0, 1, 2) else RESOLUTION_SLOT
        return own

    def _file_context(case: CaseRecord, slot: int) -> dict[str, Any]:
        campaign = g.db.get(Campaign, case.campaign_id)
        profile = service.campaign_profile(campaign)
        version = service.current_version(g.db, case)
        result = service.machine_result(g.db, version)
        decisions = service.current_decisions(g.db, version.id, slot)
        lines = version.content.splitlines()
        findings = []
        for index, (key, f) in enumerate(
            zip(finding_keys(result.get("findings", [])), result.get("findings", []), strict=True)
        ):
            line = (f.get("location") or {}).get("line")
            excerpt = []
            if line:
                start = max(1, line - EXCERPT_CONTEXT)
                excerpt = [
                    (n, lines[n - 1], n == line)
                    for n in range(start, min(len(lines), line + EXCERPT_CONTEXT) + 1)
                ]
            findings.append(
                {
                    "index": index,
                    "key": key,
                    "f": f,
                    "decision": decisions.get((FINDING, key)),
                    "excerpt": excerpt,
                }
            )
        human = [(item, decisions.get((ITEM, item.id))) for item in profile.human_items]
        vetoes = [(item, decisions.get((ITEM, item.id))) for item in profile.veto_items]
        added = [
            (target, profile.item(target), d) for (kind, target), d in decisions.items() if kind == ADDED
        ]
        signed = g.db.scalars(
            select(SignOff)
            .where(SignOff.version_id == version.id, SignOff.slot == slot)
            .order_by(SignOff.id.desc())
        ).first()
        own_slot = service.slot_of(g.db, case, g.user)
        editable = (
            signed is None and (own_slot == slot or g.user.role == "lead") and case.status != "rejected"
        )
        changes, diff = [], []
        if version.number > 1:  # a rectified file: what changed since the version before
            previous = next(v for v in case.versions if v.number == version.number - 1)
            changes = service.finding_changes(service.machine_result(g.db, previous), result)
            diff = service.content_diff(g.db, case, version.number - 1, version.number)
        trail = service.audit_trail(g.db, campaign, case, 50) if g.user.role == "lead" else []
        return {
            "trail": trail,  # the lead only: in a two-reviewer campaign reviewers work blind
            "changes": changes,
            "diff": diff,
            "case": case,
            "campaign": campaign,
            "profile": profile,
            "version": version,
            "result": result,
            "findings": findings,
            "human": human,
            "vetoes": vetoes,
            "added": added,
            "addable": [*profile.veto_items, *profile.items],
            "score": service.result_sheet(profile, result, decisions),
            "slot": slot,
            "signed": signed,
            "ungraded": UNGRADED,
            "editable": editable,
            "categories": {c.id: c.name for c in profile.categories},
            "rectified": version.number > 1,
        }

    @app.post("/files/<int:case_id>/save")
    @login_required()
    def save(case_id: int):
        case = g.db.get(CaseRecord, case_id) or abort(404)
        slot = _slot(case)
        base = request.form.get("revision", type=int)
        if base is None:
            abort(400)
        version = service.current_version(g.db, case)
        current = service.current_decisions(g.db, version.id, slot)
        campaign = g.db.get(Campaign, case.campaign_id)
        profile = service.campaign_profile(campaign)
        inputs = _changed_inputs(request.form, current, profile)
        if not inputs:
            return _file_page(case_id, message="没有需要保存的修改")
        try:
            service.record_decisions(
                store, case.id, g.user.id, inputs, base, slot=slot if g.user.role == "lead" else None
            )
        except StaleError as exc:
            g.db.rollback()  # end the read transaction: see the write just made
            return _file_page(case_id, error=str(exc), form=request.form, status=409)
        except CampaignError as exc:
            g.db.rollback()  # end the read transaction: see the write just made
            return _file_page(case_id, error=str(exc), form=request.form, status=422)
        return redirect(
            url_for(
                "file_page", case_id=case_id, saved=1, **({"slot": slot} if g.user.role == "lead" else {})
            )
        )

    @app.post("/files/<int:case_id>/add")
    @login_required()
    def add_finding(case_id: int):
        case = g.db.get(CaseRecord, case_id) or abort(404)
        slot = _slot(case)
        base = request.form.get("revision", type=int, default=0)
        item = DecisionInput(ADDED, request.form.get("item", ""), "add", None, request.form.get("reason"))
        if request.form.get("withdraw"):
            item = DecisionInput(ADDED, request.form.get("withdraw", ""), "withdraw", None, None)
        try:
            service.record_decisions(
                store, case.id, g.user.id, [item], base, slot=slot if g.user.role == "lead" else None
            )
        except CampaignError as exc:
            g.db.rollback()  # end the read transaction: see the write just made
            return _file_page(case_id, error=str(exc), form=request.form, status=422)
        return redirect(
            url_for("file_page", case_id=case_id, **({"slot": slot} if g.user.role == "lead" else {}))
        )

    @app.post("/files/<int:case_id>/signoff")
    @login_required()
    def signoff(case_id: int):
        case = g.db.get(CaseRecord, case_id) or abort(404)
        slot = _slot(case)
        try:
            score = service.sign_off(
                store, case.id, g.user.id, request.form.get("revision", type=int, default=0), slot=slot
            )
        except CampaignError as exc:
            g.db.rollback()  # end the read transaction: see the write just made
            return _file_page(case_id, error=str(exc), status=409 if isinstance(exc, StaleError) else 422)
        g.db.rollback()  # end the read transaction: see the write just made
        return _file_page(case_id, message=f"已签署：{score.summary}")

    # -- lead ------------------------------------------------------------------------------------------

    @app.get("/lead")
    @login_required("lead")
    def lead_home():
        campaign = _campaign()
        counts = service.progress(g.db, campaign)
        total = sum(counts.values())
        done = counts["signed_off"] + counts["agreed"] + counts["resolved"]
        disputed = g.db.scalars(
            select(CaseRecord)
            .where(CaseRecord.campaign_id == campaign.id, CaseRecord.status == "disputed")
            .order_by(CaseRecord.case_key)
            .limit(PAGE_SIZE)
        ).all()
        status = request.args.get("status") or None
        page = max(1, request.args.get("page", 1, type=int))
        query = select(CaseRecord).where(CaseRecord.campaign_id == campaign.id)
        if status:
            query = query.where(CaseRecord.status == status)
        listed_total = g.db.scalar(select(func.count()).select_from(query.subquery()))
        files = g.db.scalars(
            query.order_by(CaseRecord.case_key).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
        ).all()
        shown = select(Campaign).where(Campaign.building.is_(None))  # not one still being created
        campaigns = g.db.scalars(shown.order_by(Campaign.id.desc())).all()
        return render_template(
            "lead.html",
            campaign=campaign,
            campaigns=campaigns,
            counts=counts,
            total=total,
            done=done,
            disputed=disputed,
            files=files,
            status=status,
            page=page,
            pages=_pages(listed_total),
        )

    def _campaign() -> Campaign:
        name = request.args.get("campaign")
        try:
            return service.get_campaign(g.db, name)
        except CampaignError:
            abort(404)

    @app.route("/lead/files/<int:case_id>/resolve", methods=["GET", "POST"])
    @login_required("lead")
    def resolve(case_id: int):
        case = g.db.get(CaseRecord, case_id) or abort(404)
        error = None
        if request.method == "POST":
            found = service.disagreements(g.db, case)
            choices = {}
            for i, d in enumerate(found):
                side = request.form.get(f"choice-{i}")
                if side in ("1", "2"):
                    choices[(d.kind, d.target)] = side
            try:
                score = service.resolve(
                    store,
                    case.id,
                    g.user.id,
                    choices,
                    request.form.get("reason", ""),
                    request.form.get("revision", type=int, default=0),
                )
                g.db.rollback()  # end the read transaction: see the write just made
                return render_template(
                    "message.html",
                    title="已裁决",
                    message=f"案卷 {case.case_key} 已裁决：最终{score.summary}",
                    back=url_for("lead_home"),
                )
            except CampaignError as exc:
                g.db.rollback()  # end the read transaction: see the write just made
                error = str(exc)
        version = service.current_version(g.db, case)
        campaign = g.db.get(Campaign, case.campaign_id)
        profile = service.campaign_profile(campaign)
        result = service.machine_result(g.db, version)
        sheets = {s: service.current_decisions(g.db, version.id, s) for s in (1, 2)}
        scores = {s: service.result_sheet(profile, result, sheets[s]) for s in (1, 2)}
        reviewers = {
            a.slot: a.reviewer
            for a in g.db.scalars(select(Assignment).where(Assignment.case_id == case.id, Assignment.active))
        }
        return render_template(
            "resolve.html",
            case=case,
            found=service.disagreements(g.db, case),
            scores=scores,
            reviewers=reviewers,
            error=error,
            form=request.form if error else None,
        ), (422 if error else 200)

    @app.get("/lead/results")
    @login_required("lead")
    def results():
        from ..campaign.exports import results_document

        campaign = _campaign()
        doc = results_document(store, campaign.name, masked=False)  # masked when rendered
        return render_template("results.html", doc=doc, campaign=campaign)

    @app.get("/lead/results.<fmt>")
    @login_required("lead")
    def results_file(fmt: str):
        import tempfile

        from ..campaign.exports import write_results

        if fmt not in ("json", "xlsx", "html"):
            abort(404)
        campaign = _campaign()
        out = Path(tempfile.mkdtemp(prefix="casereview-results-"))
        write_results(store, campaign.name, out, masked=True)
        return send_file(out / f"评查结果.{fmt}", as_attachment=True, download_name=f"评查结果.{fmt}")


def _pages(total: int) -> int:
    return max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE)


def _changed_inputs(form, current, profile) -> list[DecisionInput]:
    """The form's entries that differ from the current decisions (unchanged rows are not re-saved)."""
    inputs = []
    count = form.get("findings", type=int, default=0)
    for i in range(count):
        key = form.get(f"f{i}-key", "")
        action = form.get(f"f{i}-action", "")
        reason = form.get(f"f{i}-reason", "").strip()
        if action not in ("confirm", "override"):
            continue
        now = current.get((FINDING, key))
        if now is None or now.action != action or (now.reason or "") != reason:
            inputs.append(DecisionInput(FINDING, key, action, None, reason))
    for item in profile.human_items:
        raw = form.get(f"item-{item.id}-points")
        if raw is None:
            continue
        raw = raw.strip()
        reason = form.get(f"item-{item.id}-reason", "").strip()
        now = current.get((ITEM, item.id))
        if raw == "":
            if now is not None:
                inputs.append(DecisionInput(ITEM, item.id, "clear", None, reason))
            continue
        if now is None or str(now.points) != raw or (now.reason or "") != reason:
            inputs.append(DecisionInput(ITEM, item.id, "score", raw, reason))
    for item in profile.veto_items:
        if f"veto-{item.id}-shown" not in form:
            continue
        on = form.get(f"veto-{item.id}") == "veto"
        reason = form.get(f"veto-{item.id}-reason", "").strip()
        now = current.get((ITEM, item.id))
        if on and (now is None or (now.reason or "") != reason):
            inputs.append(DecisionInput(ITEM, item.id, "veto", None, reason))
        elif not on and now is not None:
            inputs.append(DecisionInput(ITEM, item.id, "clear", None, reason))
    return inputs


__all__ = ["VetoItem", "create_app", "secret_key_for"]
