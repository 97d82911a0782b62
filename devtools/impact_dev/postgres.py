"""The project-local PostgreSQL server: one cluster for development and CI, from Debian's package.

Everything lives in ``<state_dir>/postgres``::

    data/                the cluster (PGDATA), made once by initdb; data/postmaster.pid
                         is the server's own pid file (pid, data dir, start, port, status)
    log/postgres.log     the server's output (pg_ctl -l)
    superuser.password   the password of the cluster's superuser ``postgres`` (mode 600)
    .lock                serialises install/up/down of one state folder across processes

The server binaries come from Debian's ``postgresql`` package (``install()`` runs apt-get
when ``/usr/lib/postgresql/*/bin`` has none). initdb and the server refuse to run as root,
so when the caller is root they run as the ``postgres`` OS user the package creates, which
owns ``data/`` and ``log/``; otherwise they run as the caller. The server listens on
127.0.0.1 only, at ``settings.postgres_port`` (``IMPACT_POSTGRES_PORT``, 54329, away from
the system cluster's 5432), with no Unix socket and password (SCRAM) authentication. The
application's role ``impact`` (password ``impact``, may create databases) owns the
database ``impact``; ``dsn`` points at it.

Like the local Kafka broker it is for one machine: fsync is off, so it survives a killed
server process, not a lost machine. In production ``EVENT_STORE_DSN`` points at a managed
PostgreSQL and none of this runs.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pwd
import re
import secrets
import shutil
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from impact.errors import InfrastructureError
from impact_dev.local_service import TAIL_LINES as TAIL_LINES
from impact_dev.local_service import LocalService, proc_args, proc_pids, tail_text

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"
ROLE = "impact"
PASSWORD = "impact"  # a local development cluster on loopback; production has its own secret
DATABASE = "impact"
SUPERUSER = "postgres"
OS_USER = "postgres"
PACKAGE = "postgresql"
BINARIES_GLOB = "/usr/lib/postgresql/*/bin"
REQUIRED_BINARIES = ("initdb", "pg_ctl", "postgres")

# Passed to the server on each start (pg_ctl -o), so a changed port applies at the next up.
SERVER_OPTIONS = (
    "-c listen_addresses={host} -c port={port} -c unix_socket_directories='' "
    "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
    "-c max_connections=200 -c log_min_messages=warning -c log_line_prefix='%m [%p] '"
)

_VERSION_DIR = re.compile(r"^/usr/lib/postgresql/(?P<major>\d+(?:\.\d+)?)/bin$")


class PostgresError(InfrastructureError):
    """The local PostgreSQL server could not be installed, initialised, started or stopped."""


@dataclass(frozen=True)
class PostgresStatus:
    """What ``status()`` and ``up()`` report about the local PostgreSQL server."""

    running: bool
    pid: int | None
    host: str
    port: int
    answering: bool
    version: str | None
    data_dir: Path
    initialised: bool
    dsn: str
    listening_port: int | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "running": self.running,
            "pid": self.pid,
            "host": self.host,
            "port": self.port,
            "listening_port": self.listening_port,
            "answering": self.answering,
            "version": self.version,
            "data_dir": str(self.data_dir),
            "initialised": self.initialised,
            "dsn": self.dsn,
        }

    def describe(self) -> str:
        """One line for a person."""
        version = f"PostgreSQL {self.version}" if self.version else "PostgreSQL (not installed)"
        where = f"{self.host}:{self.port}"
        if self.running and self.answering:
            return f"{version} running (pid {self.pid}), answering on {where}: {self.dsn}"
        if self.running and self.listening_port not in (None, self.port):
            return (
                f"{version} running (pid {self.pid}) on port {self.listening_port}, "
                f"not the configured {self.port}"
            )
        if self.running:
            return f"{version} running (pid {self.pid}) but not answering as {ROLE} on {where}"
        if not self.initialised:
            return f"{version} not running; no cluster in {self.data_dir} yet"
        return f"{version} not running (port {self.port}, data {self.data_dir})"


class LocalPostgres(LocalService):
    """Install, initialise, start, stop and inspect the cluster in ``<state_dir>/postgres``."""

    _error = PostgresError
    _title = "PostgreSQL"
    # Fast shutdown rolls back sessions and checkpoints; immediate skips the checkpoint.
    _stop_signals = (signal.SIGINT, signal.SIGQUIT, signal.SIGKILL)
    _poll_seconds = 0.05

    # -- paths and addresses -------------------------------------------------------------

    @property
    def root(self) -> Path:
        return (self.settings.state_dir / "postgres").resolve()

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def log_dir(self) -> Path:
        return self.root / "log"

    @property
    def log_path(self) -> Path:
        return self.log_dir / "postgres.log"

    @property
    def pid_path(self) -> Path:
        """The server's own pid file; postgres writes it on start and removes it on stop."""
        return self.data_dir / "postmaster.pid"

    @property
    def superuser_password_path(self) -> Path:
        return self.root / "superuser.password"

    @property
    def port(self) -> int:
        return self.settings.postgres_port

    @property
    def dsn(self) -> str:
        """The application's DSN, for ``EVENT_STORE_DSN``."""
        return f"postgresql://{ROLE}:{PASSWORD}@{HOST}:{self.port}/{DATABASE}"

    def conninfo(self, dbname: str = DATABASE) -> dict[str, object]:
        """psycopg.connect() keyword arguments for the role ``impact`` on ``dbname``."""
        return {
            "host": HOST,
            "port": self.port,
            "user": ROLE,
            "password": PASSWORD,
            "dbname": dbname,
            "connect_timeout": 5,
        }

    # -- public operations ---------------------------------------------------------------

    def bin_dir(self) -> Path | None:
        """The newest ``/usr/lib/postgresql/<major>/bin`` holding initdb, pg_ctl and postgres."""
        found: list[tuple[tuple[int, ...], Path]] = []
        for candidate in Path("/").glob(BINARIES_GLOB.lstrip("/")):
            match = _VERSION_DIR.match(str(candidate))
            if match is None:
                continue
            if all(os.access(candidate / name, os.X_OK) for name in REQUIRED_BINARIES):
                key = tuple(int(part) for part in match.group("major").split("."))
                found.append((key, candidate))
        return max(found)[1] if found else None

    def version(self) -> str | None:
        """The major version of the server binaries (``15``), or None when not installed."""
        found = self.bin_dir()
        if found is None:
            return None
        match = _VERSION_DIR.match(str(found))
        return match.group("major") if match else None

    def install(self) -> Path:
        """Install Debian's ``postgresql`` unless its server binaries are there; return bin/."""
        with self._lock():
            return self._install()

    def up(self, timeout: float = 60) -> PostgresStatus:
        """Initialise once, start unless running, create the role and database; idempotent.

        Returns once the role ``impact`` can connect to the database ``impact``.
        """
        deadline = time.monotonic() + timeout
        with self._lock():
            pid = self._live_pid()
            if pid is not None:
                listening = self._listening_port()
                if listening is not None and listening != self.port:
                    raise PostgresError(
                        f"The local PostgreSQL (pid {pid}) listens on port {listening}, not on "
                        f"IMPACT_POSTGRES_PORT={self.port}. `impact-dev postgres down` and "
                        "`impact-dev postgres up` restart it on the configured port."
                    )
                self._wait_ready(pid, deadline)
                self._ensure_role_and_database()
                logger.debug("PostgreSQL already running (pid %s)", pid)
                return self.status()

            bin_dir = self._install()
            self._check_os_user()
            self._kill_leftovers()
            self._check_port_free()
            self._prepare_dirs()
            self._initdb(bin_dir)
            self._start(bin_dir, deadline)
            self._ensure_role_and_database()
            return self.status()

    def down(self, timeout: float = 30) -> bool:
        """Stop the server by its pid (fast shutdown; immediate, then SIGKILL, if it hangs).

        Returns whether a running server was stopped; not running is fine. Its data stays.
        """
        if not self.root.is_dir():  # _lock() would make it
            logger.debug("no %s: no PostgreSQL to stop", self.root)
            return False
        return super().down(timeout)

    def status(self) -> PostgresStatus:
        """Inspect without changing anything."""
        pid = self._current_pid()
        listening = self._listening_port() if pid is not None else None
        return PostgresStatus(
            running=pid is not None,
            pid=pid,
            host=HOST,
            port=self.port,
            answering=self._answers(),
            version=self.version(),
            data_dir=self.data_dir,
            initialised=(self.data_dir / "PG_VERSION").is_file(),
            dsn=self.dsn,
            listening_port=listening,
        )

    # -- install -------------------------------------------------------------------------

    def _install(self) -> Path:
        found = self.bin_dir()
        if found is not None:
            logger.debug("PostgreSQL server binaries in %s", found)
            return found
        if os.geteuid() != 0:
            raise PostgresError(
                f"The PostgreSQL server is not installed (nothing in {BINARIES_GLOB}). Install "
                f"it as root: `sudo apt-get install --no-install-recommends {PACKAGE}` (or run "
                "`sudo .venv/bin/impact-dev postgres install`), or point EVENT_STORE_DSN at an "
                "existing server."
            )
        apt_get = shutil.which("apt-get")
        if apt_get is None:
            raise PostgresError(
                f"The PostgreSQL server is not installed (nothing in {BINARIES_GLOB}) and this "
                "machine has no apt-get: the local server needs Debian's or Ubuntu's "
                f"`{PACKAGE}` package. Install it, or point EVENT_STORE_DSN at a server."
            )
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        wait_for_lock = ["-o", "DPkg::Lock::Timeout=300"]
        self._say("Installing PostgreSQL from Debian's packages: apt-get update ...")
        started = time.monotonic()
        result = self._run(
            [apt_get, *wait_for_lock, "update"], timeout=900, what="apt-get update", env=env
        )
        if result.returncode != 0:
            raise PostgresError(
                f"`apt-get update` failed (exit {result.returncode}); check the network and "
                f"/etc/apt/sources.list*.\n{tail_text(result.stdout)}"
            )
        self._say(
            f"apt-get update done ({time.monotonic() - started:.1f} s); "
            f"apt-get install {PACKAGE} ..."
        )
        result = self._run(
            [apt_get, *wait_for_lock, "install", "-y", "--no-install-recommends", PACKAGE],
            timeout=1800,
            what=f"apt-get install {PACKAGE}",
            env=env,
        )
        if result.returncode != 0:
            raise PostgresError(
                f"`apt-get install {PACKAGE}` failed (exit {result.returncode}).\n"
                + tail_text(result.stdout)
            )
        found = self.bin_dir()
        if found is None:
            raise PostgresError(
                f"`apt-get install {PACKAGE}` succeeded but {BINARIES_GLOB} holds no initdb, "
                f"pg_ctl and postgres; check `dpkg -L postgresql-<major>`.\n"
                + tail_text(result.stdout)
            )
        self._say(
            f"PostgreSQL {self.version()} installed in {found} ({time.monotonic() - started:.1f} s)"
        )
        return found

    # -- initialise ----------------------------------------------------------------------

    def _server_user(self) -> pwd.struct_passwd | None:
        """The OS user the server runs as when we are root; None to run as ourselves."""
        if os.geteuid() != 0:
            return None
        try:
            return pwd.getpwnam(OS_USER)
        except KeyError:
            return None

    def _check_os_user(self) -> None:
        if os.geteuid() != 0:
            return
        if self._server_user() is None:
            raise PostgresError(
                f"PostgreSQL refuses to run as root and there is no `{OS_USER}` OS user to run it "
                f"as. Installing Debian's `{PACKAGE}` package creates it (`apt-get install "
                "--reinstall postgresql-common`), or run `impact-dev postgres up` as a normal "
                "user."
            )
        if _runuser() is None:
            raise PostgresError(
                "runuser (util-linux) is not on PATH; as root it runs initdb and the server as "
                f"the `{OS_USER}` user. Install util-linux or run as a normal user."
            )

    def _prepare_dirs(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        user = self._server_user()
        if user is None:
            return
        os.chown(self.log_dir, user.pw_uid, user.pw_gid)
        with contextlib.suppress(FileNotFoundError):
            os.chown(self.log_path, user.pw_uid, user.pw_gid)
        if self.data_dir.is_dir() and self.data_dir.stat().st_uid != user.pw_uid:
            # A copied or restored cluster: the server insists on owning its data directory.
            for path in (self.data_dir, *self.data_dir.rglob("*")):
                os.chown(path, user.pw_uid, user.pw_gid, follow_symlinks=False)
        self._check_reachable(user)

    def _check_reachable(self, user: pwd.struct_passwd) -> None:
        """Every folder above ``root`` must be searchable by the server's OS user."""
        groups = {user.pw_gid} | {g.gr_gid for g in _all_groups() if user.pw_name in g.gr_mem}
        for folder in (self.root, *self.root.parents):
            mode = folder.stat()
            if mode.st_uid == user.pw_uid:
                allowed = mode.st_mode & 0o100
            elif mode.st_gid in groups:
                allowed = mode.st_mode & 0o010
            else:
                allowed = mode.st_mode & 0o001
            if not allowed:
                raise PostgresError(
                    f"The `{user.pw_name}` OS user, which runs the local PostgreSQL, cannot enter "
                    f"{folder} (mode {oct(mode.st_mode & 0o777)}). Allow it (`chmod o+x {folder}`) "
                    "or put the state elsewhere with IMPACT_STATE_DIR."
                )

    def _initdb(self, bin_dir: Path) -> None:
        version_file = self.data_dir / "PG_VERSION"
        if version_file.is_file():
            have = version_file.read_text().strip()
            want = self.version()
            if want is not None and have != want:
                raise PostgresError(
                    f"{self.data_dir} was made by PostgreSQL {have} but the installed server is "
                    f"{want}. Install postgresql-{have}, or remove {self.data_dir} to start over "
                    "(its events are lost)."
                )
            return
        if self.data_dir.exists():
            raise PostgresError(
                f"{self.data_dir} exists but holds no cluster (no PG_VERSION); remove it and run "
                "`impact-dev postgres up` again"
            )
        user = self._server_user()
        partial = self.root / "data.partial"
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(mode=0o700)  # initdb fills an empty folder; root/ itself stays ours
        if user is not None:
            os.chown(partial, user.pw_uid, user.pw_gid)
        password = self._superuser_password()
        pwfile = self.root / ".initdb-pwfile"
        _write_private(pwfile, password + "\n")
        if user is not None:
            os.chown(pwfile, user.pw_uid, user.pw_gid)
        self._say(f"Initialising a PostgreSQL {self.version()} cluster in {self.data_dir} ...")
        started = time.monotonic()
        try:
            result = self._run(
                self._as_server_user([
                    str(bin_dir / "initdb"),
                    "--pgdata", str(partial),
                    "--username", SUPERUSER,
                    "--pwfile", str(pwfile),
                    "--auth", "scram-sha-256",
                    "--encoding", "UTF8",
                    "--no-locale",
                    "--no-sync",
                ]),
                timeout=300,
                what="initdb",
            )  # fmt: skip
        finally:
            pwfile.unlink(missing_ok=True)
        if result.returncode != 0 or not (partial / "PG_VERSION").is_file():
            shutil.rmtree(partial, ignore_errors=True)
            raise PostgresError(
                f"initdb failed (exit {result.returncode}):\n{tail_text(result.stdout)}"
            )
        partial.rename(self.data_dir)
        self._say(f"Initialised {self.data_dir} ({time.monotonic() - started:.1f} s)")

    def _superuser_password(self) -> str:
        with contextlib.suppress(OSError):
            text = self.superuser_password_path.read_text().strip()
            if text:
                return text
        password = secrets.token_urlsafe(24)
        tmp = self.superuser_password_path.with_name(self.superuser_password_path.name + ".tmp")
        _write_private(tmp, password + "\n")
        tmp.replace(self.superuser_password_path)
        return password

    # -- start and wait ------------------------------------------------------------------

    def _start(self, bin_dir: Path, deadline: float) -> int:
        self.pid_path.unlink(missing_ok=True)  # _live_pid() found it stale
        options = SERVER_OPTIONS.format(host=HOST, port=self.port)
        wait = max(5, int(deadline - time.monotonic()))
        with open(self.log_path, "a") as log:
            log.write(f"--- {time.strftime('%Y-%m-%dT%H:%M:%S%z')} starting PostgreSQL\n")
        user = self._server_user()
        if user is not None:
            os.chown(self.log_path, user.pw_uid, user.pw_gid)
        self._say(f"Starting PostgreSQL {self.version()} on {HOST}:{self.port} ...")
        started = time.monotonic()
        result = self._run(
            self._as_server_user([
                str(bin_dir / "pg_ctl"), "start",
                "--pgdata", str(self.data_dir),
                "--log", str(self.log_path),
                "--options", options,
                "--wait", "--timeout", str(wait),
                "--silent",
            ]),
            timeout=wait + 30,
            what="pg_ctl start",
        )  # fmt: skip
        pid = self._read_pid()
        if result.returncode != 0 or pid is None or not self._is_ours(pid):
            if pid is not None and self._is_ours(pid):
                # It started but did not get ready in time: leave nothing half-up behind.
                self._signal(pid, signal.SIGQUIT)
                self._wait_gone(pid, 10)
            raise PostgresError(
                f"PostgreSQL did not start on {HOST}:{self.port} (pg_ctl exit "
                f"{result.returncode}). {_hint(self.log_tail())}\n"
                f"{tail_text(result.stdout)}\n{self.log_tail()}"
            )
        self._say(
            f"PostgreSQL answering on {HOST}:{self.port} "
            f"(pid {pid}, {time.monotonic() - started:.1f} s)"
        )
        return pid

    def _wait_ready(self, pid: int, deadline: float) -> None:
        """Wait until a server we did not just start (pg_ctl -w did that) accepts connections."""
        delay = 0.05
        while True:
            if self._accepts_connections():
                return
            if not self._is_ours(pid):
                raise PostgresError(
                    f"PostgreSQL (pid {pid}) exited while starting.\n{self.log_tail()}"
                )
            if time.monotonic() >= deadline:
                raise PostgresError(
                    f"PostgreSQL (pid {pid}) runs but does not accept connections on "
                    f"{HOST}:{self.port}; `impact-dev postgres down` and `impact-dev postgres up` "
                    f"restart it.\n{self.log_tail()}"
                )
            time.sleep(delay)
            delay = min(delay * 1.5, 0.5)

    def _accepts_connections(self) -> bool:
        """The server answers the protocol (any answer but "starting up" or no connection)."""
        import psycopg

        try:
            with psycopg.connect(**self.conninfo(), autocommit=True):  # type: ignore[arg-type]
                return True
        except psycopg.OperationalError as exc:
            text = str(exc)
            if "starting up" in text or "shutting down" in text or "recovery" in text:
                return False
            # An authentication or missing-database answer still comes from a live server.
            return "authentication failed" in text or "does not exist" in text

    def _answers(self) -> bool:
        """Whether the role ``impact`` can connect to the database ``impact`` and query."""
        import psycopg

        try:
            with psycopg.connect(**self.conninfo(), autocommit=True) as conn:  # type: ignore[arg-type]
                conn.execute("SELECT 1")
                return True
        except psycopg.Error as exc:
            logger.debug("PostgreSQL does not answer as %s: %s", ROLE, exc)
            return False

    def _ensure_role_and_database(self) -> None:
        if self._answers():
            return
        import psycopg
        from psycopg import sql

        try:
            password = self.superuser_password_path.read_text().strip()
        except OSError as exc:
            raise PostgresError(
                f"{self.superuser_password_path} is missing, so the role {ROLE} cannot be "
                f"created; `impact-dev postgres down`, remove {self.root}, then "
                "`impact-dev postgres up`"
            ) from exc
        try:
            with psycopg.connect(
                host=HOST, port=self.port, user=SUPERUSER, password=password,
                dbname="postgres", connect_timeout=5, autocommit=True,
            ) as conn:  # fmt: skip
                role = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (ROLE,)).fetchone()
                verb = "ALTER" if role else "CREATE"
                conn.execute(
                    sql.SQL("{} ROLE {} LOGIN CREATEDB PASSWORD {}").format(
                        sql.SQL(verb), sql.Identifier(ROLE), sql.Literal(PASSWORD)
                    )
                )
                database = conn.execute(
                    "SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)
                ).fetchone()
                if not database:
                    conn.execute(
                        sql.SQL("CREATE DATABASE {} OWNER {}").format(
                            sql.Identifier(DATABASE), sql.Identifier(ROLE)
                        )
                    )
        except psycopg.Error as exc:
            raise PostgresError(
                f"Could not create the role {ROLE} and database {DATABASE} on {HOST}:{self.port} "
                f"as {SUPERUSER}: {exc}. If this cluster was made elsewhere, "
                f"`impact-dev postgres down`, remove {self.root} and `impact-dev postgres up`."
            ) from exc
        if not self._answers():
            raise PostgresError(
                f"The role {ROLE} still cannot connect to {DATABASE} on {HOST}:{self.port}.\n"
                + self.log_tail()
            )
        self._say(f"Role {ROLE} and database {DATABASE} ready")

    # -- what LocalService asks for -----------------------------------------------------

    @property
    def _home(self) -> Path:
        return self.root

    @property
    def _run_dir(self) -> Path:
        # runuser keeps the working directory, which the postgres OS user may not enter.
        return self.root

    @property
    def _log_files(self) -> tuple[Path, ...]:
        return (self.log_path,)

    def _is_ours(self, pid: int) -> bool:
        """A live (not zombie) ``postgres -D <our data dir>`` process."""
        args = proc_args(pid)
        program = Path(args[0].decode(errors="replace")).name if args else ""
        return program in ("postgres", "postmaster") and str(self.data_dir).encode() in args

    def _tidy_stopped(self) -> None:
        self._kill_leftovers()

    # -- processes -----------------------------------------------------------------------

    def _listening_port(self) -> int | None:
        lines = self._pid_lines()
        return int(lines[3]) if len(lines) > 3 and lines[3].strip().isdigit() else None

    def _leftovers(self) -> list[int]:
        """Processes of this cluster whose postmaster is gone (backends keep shared memory)."""
        found = []
        for pid in proc_pids():
            with contextlib.suppress(OSError):
                if os.readlink(f"/proc/{pid}/cwd") != str(self.data_dir):
                    continue
                args = proc_args(pid)
                if args and args[0].startswith(b"postgres"):
                    found.append(pid)
        return found

    def _kill_leftovers(self) -> None:
        if self._live_pid() is not None:
            return
        stray = self._leftovers()
        if not stray:
            return
        logger.warning("stopping leftover processes of %s: %s", self.data_dir, stray)
        for pid in stray:
            self._signal(pid, signal.SIGQUIT)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and self._leftovers():
            time.sleep(0.1)
        for pid in self._leftovers():
            self._signal(pid, signal.SIGKILL)

    # -- checks --------------------------------------------------------------------------

    def _check_port_free(self) -> None:
        self._ensure_port_free(
            HOST,
            self.port,
            lambda owner: (
                f"Port {self.port} on {HOST} is already in use by {owner}. Stop that process, "
                "or give the local PostgreSQL another port with IMPACT_POSTGRES_PORT=<port>."
            ),
        )

    # -- helpers -------------------------------------------------------------------------

    def _as_server_user(self, command: list[str]) -> list[str]:
        user = self._server_user()
        if user is None:
            return command
        return [_runuser() or "runuser", "-u", user.pw_name, "--", *command]


def _runuser() -> str | None:
    """util-linux's runuser; in /usr/sbin, which a minimal PATH may leave out."""
    found = shutil.which("runuser")
    if found is None:
        found = next(
            (p for p in ("/usr/sbin/runuser", "/sbin/runuser") if os.access(p, os.X_OK)), None
        )
    return found


def _all_groups() -> list:
    import grp

    return grp.getgrall()


def _hint(log: str) -> str:
    """A next step for the failures the server log names."""
    if "could not bind" in log or "Address already in use" in log:
        return "Another process holds the port: set IMPACT_POSTGRES_PORT to a free one."
    if "shared memory block" in log:
        return "Processes of an earlier server still run: stop them (`impact-dev postgres down`)."
    if "Permission denied" in log:
        return "The server's OS user cannot read or write its folders; see the log below."
    return "See the server log below."


def _write_private(path: Path, text: str) -> None:
    """Write a secret readable by its owner only, from the first byte on."""
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
