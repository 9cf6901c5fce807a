"""Campaign-store fixtures: every store test runs on SQLite and, when a PostgreSQL server can be
started here (Debian's `postgresql` package; scripts/test.sh installs it as root), on PostgreSQL.

The PostgreSQL cluster is a throwaway one: initdb into a temporary folder, listening only on a
unix socket in that folder (no TCP port at all), stopped and deleted after the session. initdb
refuses to run as root, so as root the server runs as the `postgres` user.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

PG_ENV = "CASEREVIEW_TEST_PG_URL"  # use an existing server instead (a URL to a scratch database)


def _pg_bin() -> Path | None:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(candidate) / "initdb").exists():
            return Path(candidate)
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _as_postgres(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "postgres", "--", *cmd]


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch):
    """argon2 at its default cost takes about a second here; the tests only need it to be argon2."""
    from argon2 import PasswordHasher

    from casereview.campaign import service

    monkeypatch.setattr(service, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture(scope="session")
def pg_server():
    """(base URL, reason): a running throwaway PostgreSQL, or None with why not."""
    if os.environ.get(PG_ENV):
        yield os.environ[PG_ENV], None
        return
    try:
        import psycopg  # noqa: F401
    except ImportError:
        yield None, "psycopg 未安装（pip install 'casereview[postgres]'）"
        return
    bindir = _pg_bin()
    if bindir is None:
        yield None, "没有 PostgreSQL（initdb）：以 root 运行 scripts/test.sh 会用 apt 安装 postgresql"
        return
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            yield None, "以 root 运行但没有 postgres 用户，无法运行 initdb"
            return
    tmp = Path(tempfile.mkdtemp(prefix="casereview-pg-"))
    data, sock = tmp / "data", tmp / "sock"
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(tmp, "postgres")
        shutil.chown(sock, "postgres")
    log = tmp / "server.log"
    try:
        subprocess.run(
            _as_postgres(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--no-sync",
                ]
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )
        options = f"-c listen_addresses='' -k {sock} -c fsync=off -c full_page_writes=off"
        subprocess.run(
            _as_postgres(
                [str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w", "start"]
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        detail = log.read_text(errors="replace")[-500:] if log.exists() else str(exc)
        shutil.rmtree(tmp, ignore_errors=True)
        yield None, f"PostgreSQL 临时实例启动失败：{detail}"
        return
    try:
        yield f"postgresql+psycopg://postgres@/postgres?host={sock}", None
    finally:
        subprocess.run(
            _as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(tmp, ignore_errors=True)


def _fresh_pg_database(base_url: str) -> str:
    """A new empty database on the server for one test."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(base_url)
    name = f"t_{uuid.uuid4().hex[:12]}"
    conninfo = {"dbname": url.database or "postgres", "user": url.username or "postgres"}
    if url.query.get("host"):
        conninfo["host"] = url.query["host"]
    elif url.host:
        conninfo["host"] = url.host
        if url.port:
            conninfo["port"] = url.port
    if url.password:
        conninfo["password"] = url.password
    with psycopg.connect(**conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path, pg_server):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'campaign.db'}"
    base, reason = pg_server
    if base is None:
        pytest.skip(reason)
    return _fresh_pg_database(base)
