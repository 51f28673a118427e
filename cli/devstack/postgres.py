"""A private PostgreSQL cluster under a state folder, from Debian's PostgreSQL packages.

The server refuses to run as root, and every machine here runs as root: the cluster then runs as
the `postgres` system user, in a folder that user can reach (not under /root, which is mode 700).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import structlog

from cli.devstack.ports import free_port, is_free
from store.roles import RUNTIME

log = structlog.get_logger(__name__)

DEFAULT_BIN_DIRS = [Path(f"/usr/lib/postgresql/{v}/bin") for v in (17, 16, 15)]
SYSTEM_USER = "postgres"
# The cluster's superuser, which owns the schema and runs the migrations; the API, workers and
# CLI connect as the runtime role (store/roles.py, migration 0017), created at every start.
DB_USER = "docketflow"
RUNTIME_USER = RUNTIME


def find_bin_dir() -> Path:
    explicit = os.environ.get("DOCKETFLOW_PG_BIN")
    candidates = [Path(explicit)] if explicit else []
    candidates.extend(DEFAULT_BIN_DIRS)
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    for candidate in candidates:
        if all((candidate / tool).exists() for tool in ("pg_ctl", "initdb", "psql")):
            return candidate
    raise RuntimeError(
        "PostgreSQL server binaries not found: install Debian's `postgresql` package "
        "(apt-get install -y postgresql) or set DOCKETFLOW_PG_BIN"
    )


def _is_root() -> bool:
    return os.geteuid() == 0


def _reachable_by_postgres(path: Path) -> bool:
    probe = subprocess.run(
        ["runuser", "-u", SYSTEM_USER, "--", "test", "-w", str(path)], check=False
    )
    return probe.returncode == 0


@dataclass
class PrivatePostgres:
    """One cluster: `start()` initialises on first use and resumes afterwards."""

    home: Path
    port: int | None = None

    def __post_init__(self) -> None:
        self.home = self.home.resolve()
        self.bin_dir = find_bin_dir()
        self.root = self._cluster_root()
        self.data_dir = self.root / "data"
        self.log_file = self.root / "server.log"

    def _cluster_root(self) -> Path:
        root = self.home / "postgres"
        root.mkdir(parents=True, exist_ok=True)
        if not _is_root():
            return root
        shutil.chown(root, SYSTEM_USER)
        if _reachable_by_postgres(root):
            return root
        # The home sits where the postgres user cannot go (e.g. under /root): keep the cluster in
        # a folder of its own, named after the home, and leave a pointer in the home.
        digest = hashlib.sha256(str(self.home).encode()).hexdigest()[:12]
        outside = Path("/var/lib/docketflow") / digest
        outside.mkdir(parents=True, exist_ok=True)
        Path("/var/lib/docketflow").chmod(0o755)
        shutil.chown(outside, SYSTEM_USER)
        (root / "LOCATION").write_text(f"{outside}\n")
        return outside

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if _is_root():
            command = ["runuser", "-u", SYSTEM_USER, "--", *command]
        return subprocess.run(command, check=check, capture_output=True, text=True)

    @property
    def url(self) -> str:
        """The owner's URL of `docketflow` (migrations, benchmarks)."""
        return self.url_for("docketflow")

    @property
    def runtime_url(self) -> str:
        """The runtime role's URL of `docketflow` (the API, workers and CLI)."""
        return self.url_for("docketflow", RUNTIME_USER)

    def url_for(self, database: str, user: str = DB_USER) -> str:
        assert self.port is not None
        return f"postgresql+psycopg://{user}@127.0.0.1:{self.port}/{database}"

    def is_running(self) -> bool:
        return self._run("pg_ctl", "-D", str(self.data_dir), "status", check=False).returncode == 0

    def start(self) -> str:
        """Start (initialising on first use) and return the SQLAlchemy URL of `docketflow`."""
        self._initdb()
        if self.is_running():
            self.port = self._running_port()
        else:
            if self.port is None or not is_free(self.port):
                self.port = free_port()
            self._run(
                "pg_ctl",
                "-D",
                str(self.data_dir),
                "-o",
                " ".join(self._server_options()),
                "-l",
                str(self.log_file),
                "-w",
                "-t",
                "60",
                "start",
            )
        self._ensure_database("docketflow")
        log.info("postgres.started", port=self.port, data_dir=str(self.data_dir))
        return self.url

    def prepare_foreground(self) -> None:
        """Before `spawn`: initialise on first use, stop a server left running (by `start()`, or a
        dev stack that was killed) so that the caller owns the cluster, and choose the port."""
        self._initdb()
        if self.is_running():
            log.info("postgres.stopping_leftover", data_dir=str(self.data_dir))
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop")
        if self.port is None or not is_free(self.port):
            self.port = free_port()

    def spawn(self) -> subprocess.Popen[bytes]:
        """The server in the foreground, as the caller's child, so a supervisor sees it exit
        (`pg_ctl` daemonises it). Returns at once; `wait_ready` waits for connections."""
        self.log_file.touch(exist_ok=True)
        as_root = _is_root()
        if as_root:
            shutil.chown(self.log_file, SYSTEM_USER)  # `start()` (pg_ctl -l) appends to it too
        with self.log_file.open("ab") as log_file:
            # Its own process group: a terminal's Ctrl-C goes to the supervisor, which stops it
            # after the processes that use it.
            return subprocess.Popen(
                [str(self.bin_dir / "postgres"), "-D", str(self.data_dir), *self._server_options()],
                stdout=log_file,
                stderr=subprocess.STDOUT,
                cwd=self.root,
                user=SYSTEM_USER if as_root else None,
                group=SYSTEM_USER if as_root else None,
                extra_groups=[] if as_root else None,
                process_group=0,
            )

    def wait_ready(self, process: subprocess.Popen[bytes], timeout: float = 60) -> str:
        """Wait until a spawned server accepts connections; returns the URL of `docketflow`."""
        self._ensure_database("docketflow", timeout=timeout, process=process)
        log.info("postgres.started", port=self.port, data_dir=str(self.data_dir), pid=process.pid)
        return self.url

    def _initdb(self) -> None:
        if not (self.data_dir / "PG_VERSION").exists():
            # Trust auth is acceptable only because the cluster listens on 127.0.0.1 for one
            # developer; production uses docker-compose / a managed PostgreSQL with passwords.
            self._run(
                "initdb", "-D", str(self.data_dir), "-A", "trust", "-U", DB_USER, "-E", "UTF8"
            )

    def _server_options(self) -> list[str]:
        assert self.port is not None
        options = ["-p", str(self.port), "-k", str(self.root)]
        options += ["-c", "listen_addresses=127.0.0.1", "-c", "max_connections=300"]
        # A backstop for any client (psql, a notebook): the runtime's own limit is shorter.
        options += ["-c", "idle_in_transaction_session_timeout=5min"]
        if os.environ.get("DOCKETFLOW_PG_FAST") == "1":
            options += ["-c", "fsync=off", "-c", "synchronous_commit=off"]
        return options

    def _running_port(self) -> int:
        pid_file = (self.data_dir / "postmaster.pid").read_text().splitlines()
        return int(pid_file[3])

    def _psql(self, sql: str, database: str = "postgres") -> str:
        assert self.port is not None
        result = self._run(
            "psql",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            DB_USER,
            "-d",
            database,
            "-tAc",
            sql,
        )
        return result.stdout.strip()

    def _ensure_database(
        self, name: str, timeout: float = 5, process: subprocess.Popen[bytes] | None = None
    ) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if process is not None and process.poll() is not None:
                raise RuntimeError(
                    f"PostgreSQL exited with {process.returncode}; see {self.log_file}"
                )
            try:
                exists = self._psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'")
                break
            except subprocess.CalledProcessError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"PostgreSQL did not accept connections; see {self.log_file}"
                    ) from None
                time.sleep(0.1)
        if exists != "1":
            self._psql(f'CREATE DATABASE "{name}"')
        self._ensure_runtime_role()

    def _ensure_runtime_role(self) -> None:
        # LOGIN without a password: the cluster trusts 127.0.0.1 (see _initdb). Its privileges
        # come from migration 0017, per database.
        self._psql(
            "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = "
            f"'{RUNTIME_USER}') THEN CREATE ROLE {RUNTIME_USER} LOGIN; END IF; END $$"
        )

    def create_database(self, name: str, template: str | None = None) -> str:
        clause = f' TEMPLATE "{template}"' if template else ""
        self._psql(f'CREATE DATABASE "{name}"{clause}')
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        self._psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if self.data_dir.exists() and self.is_running():
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop", check=False)
            log.info("postgres.stopped", port=self.port)
