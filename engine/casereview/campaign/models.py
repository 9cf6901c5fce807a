"""The campaign store's tables (SQLAlchemy 2.x; schema changes go through Alembic migrations).

Nothing is overwritten: file content is versioned (a rectified file is a new `FileVersion`),
machine results are kept per run, and every reviewer decision is a new `Decision` row — the
current decision for a target is the latest one. `CaseRecord.revision` is the optimistic
concurrency counter every write to a file's review goes through (see service.record_decision).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

ROLES = ("lead", "reviewer")
RESOLUTION_SLOT = 0  # the lead's resolution sheet; reviewers work in slots 1 and 2


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    unit: Mapped[str | None] = mapped_column(String(256))  # the reviewer's own unit (never reviews it)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ProfileSnapshot(Base):
    """The scoring profile a campaign uses, stored whole (a later edit of the file changes nothing)."""

    __tablename__ = "profiles"
    id: Mapped[int] = mapped_column(primary_key=True)
    profile_key: Mapped[str] = mapped_column(String(128))
    title: Mapped[str] = mapped_column(String(256))
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    content: Mapped[str] = mapped_column(Text)  # the profile as JSON
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Campaign(Base):
    __tablename__ = "campaigns"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(256), unique=True)
    folder: Mapped[str] = mapped_column(Text)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id"))
    reviewers_per_file: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))
    # Set (to the importing process, `service.builder`) while `campaign create` is still importing
    # the files: such a campaign is hidden everywhere until its last file is in.
    building: Mapped[str | None] = mapped_column(String(128))
    profile: Mapped[ProfileSnapshot] = relationship()


class CaseRecord(Base):
    """One case file of a campaign, identified by its case number (or its path when it has none)."""

    __tablename__ = "case_files"
    __table_args__ = (UniqueConstraint("campaign_id", "case_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    # No index of its own: the unique (campaign_id, case_key) index serves lookups by campaign.
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    case_key: Mapped[str] = mapped_column(String(512))
    case_number: Mapped[str | None] = mapped_column(String(256))
    unit: Mapped[str | None] = mapped_column(String(256), index=True)
    title: Mapped[str | None] = mapped_column(Text)
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    revision: Mapped[int] = mapped_column(Integer, default=0)  # optimistic concurrency counter
    status: Mapped[str] = mapped_column(String(32), default="unassigned", index=True)
    versions: Mapped[list[FileVersion]] = relationship(back_populates="case", order_by="FileVersion.number")


class FileVersion(Base):
    __tablename__ = "file_versions"
    __table_args__ = (UniqueConstraint("case_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_files.id"))  # unique (case_id, number) serves it
    number: Mapped[int] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)  # the file's text: excerpts and what-changed diffs
    origin: Mapped[str] = mapped_column(String(32))  # initial | rectified
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))
    case: Mapped[CaseRecord] = relationship(back_populates="versions")


class MachineRun(Base):
    __tablename__ = "machine_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    rules_version: Mapped[str] = mapped_column(String(128))
    engine: Mapped[str] = mapped_column(String(32))
    tool_version: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))


class MachineResult(Base):
    __tablename__ = "machine_results"
    __table_args__ = (UniqueConstraint("run_id", "version_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("machine_runs.id")
    )  # unique (run_id, version_id) serves it
    version_id: Mapped[int] = mapped_column(ForeignKey("file_versions.id"), index=True)
    status: Mapped[str] = mapped_column(String(32))
    score: Mapped[float | None] = mapped_column(Float)
    grade: Mapped[str | None] = mapped_column(String(32))
    result_json: Mapped[str] = mapped_column(Text)  # the CaseResult


class Assignment(Base):
    __tablename__ = "assignments"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_files.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    slot: Mapped[int] = mapped_column(Integer)  # 1 or 2
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))
    reviewer: Mapped[User] = relationship()


class Decision(Base):
    """One reviewer decision; never updated. The latest per (version, slot, kind, target) is current."""

    __tablename__ = "decisions"
    __table_args__ = (Index("ix_decisions_sheet", "version_id", "slot", "kind", "target"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("file_versions.id"))
    slot: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # finding | item | added
    target: Mapped[str] = mapped_column(String(256))  # finding key or sheet item id
    action: Mapped[str] = mapped_column(String(16))  # confirm | override | score | add | withdraw
    points: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(Integer)  # the case revision this decision created
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    source: Mapped[str] = mapped_column(String(16), default="web")  # web | import | resolution
    author: Mapped[User] = relationship()


class SignOff(Base):
    __tablename__ = "signoffs"
    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("file_versions.id"), index=True)
    slot: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    revision: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    grade: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    user: Mapped[User] = relationship()


class Rectification(Base):
    __tablename__ = "rectifications"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_files.id"), index=True)
    from_version: Mapped[int] = mapped_column(Integer)
    to_version: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))


class AuditEvent(Base):
    """Who changed what, when and why: one row per change, written in the change's transaction."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_files.id"), index=True)
    action: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text)  # JSON: what changed
    reason: Mapped[str | None] = mapped_column(Text)
