"""What the project-local service managers (``LocalBroker``, ``LocalPostgres``) share.

Both run one server process, detached, from a folder of the state directory, and find it
again later by its pid file and its ``/proc/<pid>/cmdline``: never by name, so a pid file
that names an unrelated process (pids are reused) is never signalled. Both serialise their
changes across processes with a lock file in that folder, and both report progress to a
person and to their own module's logger. The subclasses say which process is theirs, how
to stop it and what to tidy afterwards; this module does the rest once.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import signal
import socket
import subprocess
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import ClassVar

from impact.errors import InfrastructureError
from impact.settings import Settings

TAIL_LINES = 20


class LocalService(ABC):
    """A server process run detached from ``_home``, found again through ``pid_path``.

    Every operation is idempotent. ``progress`` receives short messages for a person (the
    CLI prints them); they are also logged at INFO on the subclass's module logger.
    """

    # The error every failure is raised as, so callers can catch one service's errors.
    _error: ClassVar[type[InfrastructureError]]
    # The service as messages name it: "Stopping {_title} (pid 1) ..."; an instance may name
    # itself more precisely (a node of the local Kafka cluster).
    _title: str
    # Sent in turn until the process is gone: the first gets ``down(timeout)``, the rest 10 s.
    _stop_signals: ClassVar[tuple[signal.Signals, ...]] = (signal.SIGTERM, signal.SIGKILL)
    _poll_seconds: ClassVar[float] = 0.1

    def __init__(self, settings: Settings, *, progress: Callable[[str], None] | None = None):
        self.settings = settings
        self._progress = progress
        # The subclass's module name, so log filters set for it keep working.
        self._logger = logging.getLogger(type(self).__module__)

    # -- what a subclass says ------------------------------------------------------------

    @property
    @abstractmethod
    def pid_path(self) -> Path:
        """The file whose first line is the server's pid."""

    @property
    @abstractmethod
    def _home(self) -> Path:
        """The service's folder; it holds the lock file."""

    @property
    @abstractmethod
    def _log_files(self) -> tuple[Path, ...]:
        """The server's log files, as ``log_tail()`` quotes them."""

    @abstractmethod
    def _is_ours(self, pid: int) -> bool:
        """Whether ``pid`` is a live (not zombie) server of this very folder."""

    def _find_ours(self) -> int | None:
        """Our server when the pid file does not name it; ``_live_pid()`` then rewrites the file."""
        return None

    @abstractmethod
    def _tidy_stopped(self) -> None:
        """Remove what a stopped server leaves behind; ``down()`` calls it either way."""

    @property
    def _run_dir(self) -> Path | None:
        """The working directory of ``_run``'s commands; None keeps ours."""
        return None

    def log_tail(self, lines: int = TAIL_LINES) -> str:
        """The last lines of the server's log files, for error messages."""
        files = self._log_files
        parts = []
        for path in files:
            try:
                text = path.read_text(errors="replace")
            except OSError:
                continue
            tail = _last_lines(text, lines)
            if tail:
                parts.append(f"--- last lines of {path} ---\n" + "\n".join(tail))
        if parts:
            return "\n".join(parts)
        where = files[0] if len(files) == 1 else Path(os.path.commonpath(files))
        return f"(no log output in {where})"

    # -- stop ----------------------------------------------------------------------------

    def down(self, timeout: float = 30) -> bool:
        """Stop the server by its pid, escalating through ``_stop_signals``.

        Returns whether a running server was stopped; not running is fine. Its data stays.
        """
        with self._lock():
            pid = self._live_pid()
            if pid is None:
                self._tidy_stopped()
                self._logger.debug("%s not running", self._title)
                return False
            started = time.monotonic()
            self._say(f"Stopping {self._title} (pid {pid}) ...")
            self._stop(pid, timeout)
            self._tidy_stopped()
            self._say(f"{self._title} stopped ({time.monotonic() - started:.1f} s)")
            return True

    def _stop(self, pid: int, timeout: float) -> None:
        first, *harder = self._stop_signals
        self._signal(pid, first)
        if self._wait_gone(pid, timeout):
            return
        self._logger.warning(
            "%s pid %s ignored %s for %s s; escalating to %s",
            self._title,
            pid,
            first.name,
            timeout,
            ", ".join(sig.name for sig in harder),
        )
        for sig in harder:
            self._signal(pid, sig)
            if self._wait_gone(pid, 10):
                return
        raise self._error(f"{self._title} pid {pid} survived SIGKILL; stop it by hand")

    # -- processes -----------------------------------------------------------------------

    def _pid_lines(self) -> list[str]:
        try:
            return self.pid_path.read_text().splitlines()
        except OSError:
            return []

    def _read_pid(self) -> int | None:
        lines = self._pid_lines()
        return int(lines[0]) if lines and lines[0].strip().isdigit() else None

    def _current_pid(self) -> int | None:
        """Our running server's pid, changing nothing (for ``status()``)."""
        pid = self._read_pid()
        if pid is not None and self._is_ours(pid):
            return pid
        return self._find_ours()

    def _live_pid(self) -> int | None:
        """Our running server's pid, making the pid file name it (or removing a stale one)."""
        pid = self._current_pid()
        recorded = self._read_pid()
        if pid is not None and pid == recorded:
            return pid
        if self.pid_path.exists():
            self._logger.info(
                "removing stale pid file %s (pid %s is not our %s)",
                self.pid_path,
                recorded,
                self._title,
            )
            self.pid_path.unlink(missing_ok=True)
        if pid is not None:
            self._logger.info("found our %s running as pid %s without a pid file", self._title, pid)
            self.pid_path.write_text(f"{pid}\n")
        return pid

    def _wait_gone(self, pid: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)  # reap it if it was our child
            if not self._is_ours(pid):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(self._poll_seconds)

    @staticmethod
    def _signal(pid: int, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)

    # -- helpers -------------------------------------------------------------------------

    def _ensure_port_free(self, host: str, port: int, in_use: Callable[[str], str]) -> None:
        """Raise ``in_use(<who holds it>)`` when ``host:port`` cannot be listened on."""
        try:
            infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise self._error(f"Cannot resolve {host}: {exc}") from exc
        family, kind, proto, _, address = infos[0]
        with socket.socket(family, kind, proto) as probe:
            # Without it a port left in TIME_WAIT by the last server reads as taken.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(address)
            except OSError as exc:
                if exc.errno != errno.EADDRINUSE:
                    raise self._error(f"Cannot listen on {host}:{port}: {exc}") from exc
                raise self._error(in_use(port_owner(port) or "another process")) from exc

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        """Serialise the changing operations on one state folder across processes."""
        self._home.mkdir(parents=True, exist_ok=True)
        with open(self._home / ".lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _run(
        self,
        command: list[str],
        timeout: float,
        what: str,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run(
                command,
                cwd=self._run_dir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise self._error(f"{what} did not finish in {timeout:.0f} s") from exc
        except OSError as exc:
            raise self._error(f"Could not run {command[0]}: {exc}") from exc

    def _say(self, message: str) -> None:
        self._logger.info("%s", message)
        if self._progress is not None:
            self._progress(message)


def _last_lines(text: str, lines: int) -> list[str]:
    return [line for line in text.splitlines() if line.strip()][-lines:]


def tail_text(text: str | None, lines: int = TAIL_LINES) -> str:
    """The last non-blank lines of a command's output, for error messages."""
    kept = _last_lines(text or "", lines)
    return "\n".join(kept) if kept else "(no output)"


def proc_pids() -> list[int]:
    """The pids /proc lists now (Linux)."""
    with contextlib.suppress(OSError):
        return [int(entry.name) for entry in os.scandir("/proc") if entry.name.isdigit()]
    return []


def proc_args(pid: int) -> list[bytes]:
    """A process's argv from /proc; ``[b""]`` for a zombie, ``[]`` when unreadable."""
    if pid <= 0:
        return []
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return []


def port_owner(port: int) -> str | None:
    """Best effort: ``pid N (command)`` of the process listening on ``port`` (Linux /proc)."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for row in Path(table).read_text().splitlines()[1:]:
                fields = row.split()
                if (
                    len(fields) > 9
                    and fields[3] == "0A"  # LISTEN
                    and int(fields[1].rsplit(":", 1)[1], 16) == port
                ):
                    inodes.add(fields[9])
    if not inodes:
        return None
    targets = {f"socket:[{inode}]" for inode in inodes}
    for pid in proc_pids():
        with contextlib.suppress(OSError):
            for fd in os.scandir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    if os.readlink(fd.path) not in targets:
                        continue
                    args = proc_args(pid)
                    if not args:
                        continue
                    command = " ".join(arg.decode(errors="replace") for arg in args).strip()
                    if len(command) > 160:
                        command = command[:80] + " ... " + command[-75:]
                    return f"pid {pid} ({command})"
    return None
