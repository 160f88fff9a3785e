"""A real ``redis-server`` on a free loopback port, for tests (no fake Redis).

.. code-block:: python

    with RedisServer() as server:          # the redis-server binary from the system packages
        client = Client(state=server.url)  # redis://127.0.0.1:<port>/0
        ...
        server.restart()                   # same port, same data directory (append-only file)

The server keeps its data in a temporary directory with ``appendonly yes`` and
``appendfsync always``, the settings "Running on many machines" recommends for the purchase
ledger, so a restart loses nothing that was acknowledged.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

__all__ = ["RedisServer", "RedisServerUnavailable", "find_redis_server"]


class RedisServerUnavailable(RuntimeError):
    """No ``redis-server`` binary, or it would not start."""


def find_redis_server() -> str:
    """The path of ``redis-server``.

    Raises:
        RedisServerUnavailable: It is not installed (``apt-get install -y redis-server``).
    """
    found = shutil.which("redis-server") or next(
        (p for p in ("/usr/bin/redis-server", "/usr/sbin/redis-server") if Path(p).exists()), None
    )
    if found is None:
        raise RedisServerUnavailable(
            "redis-server is not installed: run `apt-get install -y redis-server` (Debian/Ubuntu) "
            "or `brew install redis`; .ci/run installs it when missing"
        )
    return found


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """One ``redis-server`` process on ``127.0.0.1`` and a free port.

    Attributes:
        port: The port it listens on.
        url: ``redis://127.0.0.1:<port>/0``.
        directory: Its data directory (removed by :meth:`stop`).
    """

    def __init__(self, *, binary: str | None = None, start_timeout: float = 10.0) -> None:
        self.binary = binary or find_redis_server()
        self.start_timeout = start_timeout
        self.directory = Path(tempfile.mkdtemp(prefix="carrier-sdk-redis-"))
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The server's URL (database 0)."""
        return f"redis://127.0.0.1:{self.port}/0"

    def __repr__(self) -> str:
        return f"<RedisServer {self.url} {'running' if self.running else 'stopped'}>"

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """Whether the process is alive."""
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        """Start on a free port (or the same port again after :meth:`kill`)."""
        for _ in range(5):
            port = self.port or _free_port()
            args = ["--bind", "127.0.0.1", "--port", str(port), "--dir", str(self.directory), "--save", ""]
            args += ["--appendonly", "yes", "--appendfsync", "always", "--protected-mode", "yes"]
            args += ["--daemonize", "no", "--loglevel", "warning"]
            self.process = subprocess.Popen(
                [self.binary, *args],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            if self._wait_ready(port):
                self.port = port
                return
            self._terminate()
        raise RedisServerUnavailable(f"redis-server would not start on 127.0.0.1 (last port {port})")

    def _wait_ready(self, port: int) -> bool:
        end = time.monotonic() + self.start_timeout
        while time.monotonic() < end:
            if self.process is None or self.process.poll() is not None:
                return False
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return True
            time.sleep(0.02)
        return False

    def _terminate(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.process is not None and self.process.stderr is not None:
            self.process.stderr.close()
        self.process = None

    def kill(self) -> None:
        """Stop the server now (SIGKILL: connections drop, the data directory stays)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self._terminate()

    def restart(self, down_for: float = 0.0) -> None:
        """Kill the server, wait ``down_for`` seconds, start it again on the same port."""
        self.kill()
        time.sleep(down_for)
        self.start()

    def stop(self) -> None:
        """Stop the server and remove its data directory."""
        self._terminate()
        shutil.rmtree(self.directory, ignore_errors=True)

    def flush(self) -> None:
        """Delete every key (between tests)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
            sock.sendall(b"FLUSHALL\r\n")
            sock.recv(16)
