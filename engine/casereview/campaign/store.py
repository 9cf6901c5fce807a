"""Opening a campaign store: SQLite in the campaign folder by default (WAL mode), PostgreSQL by URL.

The schema is created and upgraded only by the Alembic migrations shipped in `migrations/`
(`open_store` runs `upgrade head`), never by `create_all`, so a store made by an older version
upgrades in place.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

DB_FILE = "campaign.db"
DB_ENV = "CASEREVIEW_DB"
MIGRATIONS = Path(__file__).with_name("migrations")
PAGE_SIZE = 8192  # bytes a page of a new SQLite store


class StoreError(Exception):
    """The store cannot be opened; the message is Chinese."""


def store_url(folder: Path | None = None, url: str | None = None) -> str:
    """`url` (or $CASEREVIEW_DB) wins; else the SQLite file `campaign.db` in `folder` (default: cwd)."""
    url = url or os.environ.get(DB_ENV)
    if url:
        return url
    path = (folder or Path.cwd()) / DB_FILE
    return f"sqlite:///{path.resolve()}"


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # transactions are begun by _sqlite_begin (BEGIN IMMEDIATE), not by the driver
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # A new store's page size (set before WAL mode writes the file's header; an existing store
    # keeps the size it was made with): a file's text and its machine result (~6 KB each) mostly
    # fit in one 8 KB page instead of spilling into an overflow page at SQLite's default 4 KB;
    # importing 10,000 files costs ~10 % less CPU for a ~6 % larger file (bench/RESULTS.md).
    cursor.execute(f"PRAGMA page_size={PAGE_SIZE}")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")  # concurrent writers wait instead of failing
    cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL
    cursor.close()


_WRITING: ContextVar[bool] = ContextVar("casereview_store_writing", default=False)


def _sqlite_begin(connection) -> None:
    # A write transaction takes the write lock up front: a deferred transaction that reads, then
    # writes, fails with "database is locked" when another writer committed in between (WAL
    # snapshot), whatever the busy timeout; IMMEDIATE makes concurrent writers queue instead.
    # Read transactions stay deferred so pages never wait for each other.
    connection.exec_driver_sql("BEGIN IMMEDIATE" if _WRITING.get() else "BEGIN")


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.drivername == "postgresql":  # plain postgresql:// means psycopg 3 here
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(parsed, pool_pre_ping=True)


def migrate(engine: Engine, revision: str = "head") -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


class Store:
    """An open store: `store.session()` is a context manager for one transaction's Session."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def session(self) -> Session:
        """A session for reading (or a caller-managed transaction)."""
        return self._sessions()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction: committed on success, rolled back on any exception."""
        token = _WRITING.set(True)
        try:
            with self._sessions() as session, session.begin():
                yield session
        finally:
            _WRITING.reset(token)

    def close(self) -> None:
        self.engine.dispose()


def open_store(folder: Path | None = None, url: str | None = None, upgrade: bool = True) -> Store:
    target = store_url(folder, url)
    try:
        engine = make_engine(target)
        if upgrade:
            migrate(engine)
    except ModuleNotFoundError as exc:
        raise StoreError(f"无法打开评查数据库 {_safe(target)}：缺少数据库驱动 {exc.name}") from None
    except Exception as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise StoreError(f"无法打开评查数据库 {_safe(target)}：{detail}") from None
    return Store(engine)


def _safe(url: str) -> str:
    """The URL without its password (messages and logs)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "（无效的数据库地址）"
