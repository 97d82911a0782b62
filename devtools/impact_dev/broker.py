"""The project-local Kafka broker: one combined broker+controller node run from Maven jars.

Everything it needs lives in ``settings.kafka_dir`` (``<state_dir>/kafka``)::

    libs/               runtime jars copied from Maven Central by ``fetch()`` (+ .pom.sha256)
    data/               the KRaft log directory, formatted once by ``format()``
    logs/               server.log (log4j2) and stdout.log (the JVM's own output)
    server.properties   rendered from infra/kafka/server.properties.template
    log4j2.properties   copied from infra/kafka/log4j2.properties
    cluster.id          the cluster id the data directory was formatted with
    broker.pid          pid of the running broker
    security/           the CA, the broker's certificate and the principals' passwords of a
                        secured broker (``impact_dev.broker_security``; owner-only)

A new broker is secured unless ``IMPACT_KAFKA_SECURITY=PLAINTEXT``: clients log in with SASL
SCRAM-SHA-512 over TLS, each as its principal, and Kafka's standard authorizer grants them
only what ``impact.kafka.access`` lists (deny by default). A data directory formatted
PLAINTEXT stays so (its SCRAM users would be missing); remove it to secure the broker.

The broker is a plain ``java ... kafka.Kafka server.properties`` process, started detached
in its own session so it outlives the command that started it; ``down()`` stops it by its
pid. It is for development and CI only: one node, replication factor 1, no fsync. In
production ``KAFKA_BOOTSTRAP_SERVERS`` points at a replicated cluster and none of this runs.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from string import Template

from impact.errors import ConfigurationError, InfrastructureError
from impact.kafka.access import BROKER_CERTIFICATE_PRINCIPAL, BROKER_PRINCIPAL
from impact.settings import ADMIN_PRINCIPAL, SCRAM_MECHANISM, KafkaConnection, Settings
from impact_dev import broker_security
from impact_dev.local_service import TAIL_LINES as TAIL_LINES
from impact_dev.local_service import LocalService, proc_args, proc_pids, tail_text

logger = logging.getLogger(__name__)

MIN_JAVA = 17
MAIN_CLASS = "kafka.Kafka"
STORAGE_TOOL = "kafka.tools.StorageTool"
STAMP_NAME = ".pom.sha256"

_HEAP = re.compile(r"^[1-9]\d*[kKmMgG]?$")
_KAFKA_JAR = re.compile(r"^kafka_\d+\.\d+-(?P<version>\d[\w.\-]*)\.jar$")
_JAVA_VERSION = re.compile(r'version "(?P<major>\d+)(?:\.(?P<minor>\d+))?')


class BrokerError(InfrastructureError):
    """The local Kafka broker could not be assembled, formatted, started or stopped."""


@dataclass(frozen=True)
class ClusterNode:
    """One node of the local cluster (``impact_dev.cluster``): its id, its listeners, its folder
    (``<state>/kafka/node-<id>``), the controller quorum's voters and the heap of its JVM."""

    node_id: int
    host: str
    port: int
    controller_port: int
    home: Path
    voters: str
    size: int
    heap: str


@dataclass(frozen=True)
class BrokerStatus:
    """What ``status()`` and ``up()`` report about the local broker."""

    running: bool
    pid: int | None
    bootstrap: str
    answering: bool
    kafka_version: str | None
    data_dir: Path
    cluster_id: str | None = None
    secured: bool = False
    node_id: int | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "running": self.running,
            "pid": self.pid,
            "bootstrap": self.bootstrap,
            "answering": self.answering,
            "kafka_version": self.kafka_version,
            "data_dir": str(self.data_dir),
            "cluster_id": self.cluster_id,
            "secured": self.secured,
            **({"node_id": self.node_id} if self.node_id is not None else {}),
        }

    def describe(self) -> str:
        """One line for a person."""
        version = f"Kafka {self.kafka_version}" if self.kafka_version else "Kafka (not fetched)"
        if self.running and self.answering:
            how = "SASL_SSL, ACLs" if self.secured else "PLAINTEXT"
            return f"{version} running (pid {self.pid}), answering on {self.bootstrap} ({how})"
        if self.running:
            return f"{version} running (pid {self.pid}) but not answering on {self.bootstrap} yet"
        if self.answering:
            return f"no local broker running; a broker answers on {self.bootstrap}"
        return f"{version} not running (bootstrap {self.bootstrap})"


class LocalBroker(LocalService):
    """Assemble, format, start, stop and inspect the broker in ``settings.kafka_dir``."""

    _error = BrokerError
    _title = "Kafka broker"
    _java_path: str | None = None  # _java() caches it: checking the version starts a JVM

    def __init__(
        self,
        settings: Settings,
        *,
        progress: Callable[[str], None] | None = None,
        node: ClusterNode | None = None,
    ):
        super().__init__(settings, progress=progress)
        self.node = node
        if node is not None:
            self._title = f"Kafka node {node.node_id}"

    # -- paths ---------------------------------------------------------------------------

    @property
    def kafka_dir(self) -> Path:
        return self.settings.kafka_dir.resolve()

    @property
    def node_dir(self) -> Path:
        """The folder of this node's data, logs and configuration: ``kafka_dir`` itself for
        the single broker, ``<kafka_dir>/node-<id>`` for a node of the local cluster."""
        return self.node.home if self.node is not None else self.kafka_dir

    @property
    def libs_dir(self) -> Path:
        return self.kafka_dir / "libs"

    @property
    def data_dir(self) -> Path:
        return self.node_dir / "data"

    @property
    def logs_dir(self) -> Path:
        return self.node_dir / "logs"

    @property
    def properties_path(self) -> Path:
        return self.node_dir / "server.properties"

    @property
    def log4j_path(self) -> Path:
        return self.node_dir / "log4j2.properties"

    @property
    def pid_path(self) -> Path:
        return self.node_dir / "broker.pid"

    @property
    def cluster_id_path(self) -> Path:
        return self.node_dir / "cluster.id"

    @property
    def controller_port(self) -> int:
        if self.node is not None:
            return self.node.controller_port
        return self.settings.kafka_controller_port

    @property
    def security_dir(self) -> Path:
        return self.settings.kafka_credentials_dir

    @property
    def secured(self) -> bool:
        """Whether this broker is (or, not formatted yet, will be) secured."""
        if (self.data_dir / "meta.properties").is_file():
            return broker_security.load(self.security_dir) is not None
        return self.settings.kafka_local_security == "SASL_SSL"

    def admin_connection(self) -> KafkaConnection:
        """The administrator's connection to this broker, from its own security material."""
        material = broker_security.load(self.security_dir) if self.secured else None
        if material is None:
            return KafkaConnection(bootstrap_servers=self.bootstrap)
        from pydantic import SecretStr

        return KafkaConnection(
            bootstrap_servers=self.bootstrap,
            security_protocol="SASL_SSL",
            sasl_mechanism=SCRAM_MECHANISM,
            sasl_username=ADMIN_PRINCIPAL,
            sasl_password=SecretStr(material.users[ADMIN_PRINCIPAL]),
            ssl_cafile=material.ca,
        )

    @property
    def pom_path(self) -> Path:
        return self.settings.infra_dir.resolve() / "kafka" / "pom.xml"

    @property
    def bootstrap(self) -> str:
        host, port = self._endpoint()
        return f"{host}:{port}"

    def _endpoint(self) -> tuple[str, int]:
        if self.node is not None:
            return self.node.host, self.node.port
        return self.settings.broker_ports()

    @property
    def is_local(self) -> bool:
        """Whether the bootstrap address is this machine, where ``up()`` may run a broker."""
        host, _ = self._endpoint()
        bare = host.strip("[]")
        return bare in ("localhost", "::1") or bare.startswith("127.")

    # -- public operations ---------------------------------------------------------------

    def fetch(self, libs_from: Path | None = None) -> Path:
        """Copy the broker's runtime jars into ``libs/`` unless they match the pom already.

        ``libs_from`` names the ``libs/`` of another state folder assembled from the same
        pom; it is linked instead of running Maven (tests use this for scratch brokers).
        """
        with self._lock():
            return self._fetch(libs_from)

    def format(self) -> str:
        """Format the data directory once; return the cluster id it was formatted with."""
        with self._lock():
            return self._format()

    def up(self, timeout: float = 60) -> BrokerStatus:
        """Start the broker unless it already runs; return once an admin client gets an answer."""
        deadline = time.monotonic() + timeout
        with self._lock():
            host, port = self._local_endpoint()
            pid = self._live_pid()
            if pid is not None:
                if not self._answers(host, port):
                    logger.info("broker pid %s runs but does not answer yet; waiting", pid)
                    self._wait_answering(None, pid, host, port, deadline)
                logger.debug("broker already running (pid %s)", pid)
                self._ensure_principals()
                return self.status()

            self._fetch(None)
            self._format()
            started = time.monotonic()
            process = self._launch()
            self._wait_answering(process, process.pid, host, port, deadline)
            self._say(
                f"{self._title} answering on {host}:{port} "
                f"(pid {process.pid}, {time.monotonic() - started:.1f} s)"
            )
            self._ensure_principals()
            return self.status()

    def _launch(self) -> subprocess.Popen[bytes]:
        """Start the server detached, its ports checked free; the caller waits for it."""
        host, port = self._local_endpoint()
        java = self._java()
        self._check_port_free(host, port, "broker")
        self._check_port_free(host, self.controller_port, "controller")
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        command = self._start_command(java)
        logger.debug("starting %s: %s", self._title, " ".join(command))
        with open(self.logs_dir / "stdout.log", "ab") as out:
            out.write(f"--- {time.strftime('%Y-%m-%dT%H:%M:%S%z')} starting broker\n".encode())
            out.flush()
            process = subprocess.Popen(
                command,
                cwd=self.node_dir,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                close_fds=True,
            )
        self.pid_path.write_text(f"{process.pid}\n")
        self._say(f"Starting {self._title} (pid {process.pid}) on {host}:{port} ...")
        return process

    def status(self) -> BrokerStatus:
        """Inspect without changing anything."""
        pid = self._current_pid()
        host, port = self._endpoint()
        cluster_id = None
        with contextlib.suppress(OSError):
            cluster_id = self.cluster_id_path.read_text().strip() or None
        return BrokerStatus(
            running=pid is not None,
            pid=pid,
            bootstrap=f"{host}:{port}",
            answering=self._answers(host, port),
            kafka_version=self.kafka_version(),
            data_dir=self.data_dir,
            cluster_id=cluster_id,
            secured=self.secured,
            node_id=self.node.node_id if self.node is not None else None,
        )

    def kafka_version(self) -> str | None:
        """The Kafka version of the fetched jars (from ``kafka_<scala>-<version>.jar``)."""
        jar = self._kafka_jar(self.libs_dir)
        if jar is None:
            return None
        match = _KAFKA_JAR.match(jar.name)
        return match.group("version") if match else None

    def _ensure_principals(self) -> None:
        """Give every principal of ``impact.kafka.access`` a SCRAM login on a secured broker:
        those formatted in already are kept; one added to the ledger since gets a password
        and its login through the administrator."""
        if not self.secured:
            return
        material = broker_security.ensure(self.security_dir, self._local_endpoint()[0])
        from kafka import KafkaAdminClient
        from kafka.admin import UserScramCredentialUpsertion

        from impact.kafka import client_config

        admin = KafkaAdminClient(**client_config(self.admin_connection()), client_id="impact-infra")
        try:
            known = admin.describe_user_scram_credentials()
            missing = [
                UserScramCredentialUpsertion(name, SCRAM_MECHANISM, password, iterations=8192)
                for name, password in sorted(material.users.items())
                if not (known.get(name) or {}).get("credential_infos")
            ]
            if missing:
                failed = {
                    user: error
                    for user, error in admin.alter_user_scram_credentials(missing).items()
                    if error
                }
                if failed:
                    raise BrokerError(f"creating the SCRAM logins {failed} failed")
                self._say(f"Created the SCRAM logins of {', '.join(m.user for m in missing)}")
        finally:
            admin.close()

    # -- fetch ---------------------------------------------------------------------------

    def _fetch(self, libs_from: Path | None) -> Path:
        want = self._pom_digest()
        if self._libs_current(self.libs_dir, want):
            logger.debug("Kafka jars in %s match %s", self.libs_dir, self.pom_path)
            return self.libs_dir
        self.kafka_dir.mkdir(parents=True, exist_ok=True)
        running = self._live_pid()
        if running is not None and self._kafka_jar(self.libs_dir) is not None:
            raise BrokerError(
                f"{self.pom_path} changed since the jars of the running broker (pid {running}) "
                "were fetched; `impact-dev infra down` first, then `impact-dev infra up` fetches "
                "anew"
            )

        if libs_from is not None:
            source = Path(libs_from).resolve()
            if not self._libs_current(source, want):
                raise BrokerError(
                    f"{source} does not hold Kafka jars assembled from {self.pom_path}; "
                    "run `impact-dev infra fetch` for that state folder first"
                )
            self._remove_libs()
            self.libs_dir.symlink_to(source, target_is_directory=True)
            self._say(f"Using the Kafka jars in {source}")
            return self.libs_dir

        mvn = shutil.which("mvn")
        if mvn is None:
            raise BrokerError(
                "Maven (mvn) is not on PATH; it assembles the local Kafka broker from Maven "
                "Central. Install Maven 3.6+ (e.g. `apt-get install maven`) or point "
                "KAFKA_BOOTSTRAP_SERVERS at an existing broker."
            )
        partial = self.kafka_dir / "libs.partial"
        shutil.rmtree(partial, ignore_errors=True)
        self._say(f"Assembling the Kafka broker from Maven Central ({self.pom_path}) ...")
        started = time.monotonic()
        command = [
            mvn, "-q", "-B", "-f", str(self.pom_path),
            "dependency:copy-dependencies",
            "-DincludeScope=runtime",
            f"-DoutputDirectory={partial}",
        ]  # fmt: skip
        result = self._run(command, timeout=1200, what="mvn dependency:copy-dependencies")
        if result.returncode != 0 or self._kafka_jar(partial) is None:
            shutil.rmtree(partial, ignore_errors=True)
            raise BrokerError(
                f"Maven could not assemble the Kafka jars (exit {result.returncode}). "
                "Check network access to Maven Central and ~/.m2/settings.xml.\n"
                + tail_text(result.stdout)
            )
        (partial / STAMP_NAME).write_text(want + "\n")
        self._remove_libs()
        partial.rename(self.libs_dir)
        jars = sum(1 for _ in self.libs_dir.glob("*.jar"))
        self._say(
            f"Kafka {self.kafka_version()} assembled: {jars} jars in {self.libs_dir} "
            f"({time.monotonic() - started:.1f} s)"
        )
        return self.libs_dir

    def _pom_digest(self) -> str:
        try:
            return hashlib.sha256(self.pom_path.read_bytes()).hexdigest()
        except FileNotFoundError as exc:
            raise BrokerError(
                f"{self.pom_path} is missing; set IMPACT_INFRA_DIR to the checkout's infra/ folder"
            ) from exc

    @staticmethod
    def _libs_current(libs: Path, digest: str) -> bool:
        try:
            stamp = (libs / STAMP_NAME).read_text().strip()
        except OSError:
            return False
        return stamp == digest and LocalBroker._kafka_jar(libs) is not None

    @staticmethod
    def _kafka_jar(libs: Path) -> Path | None:
        if not libs.is_dir():
            return None
        return next(
            (jar for jar in sorted(libs.glob("kafka_*.jar")) if _KAFKA_JAR.match(jar.name)), None
        )

    def _remove_libs(self) -> None:
        if self.libs_dir.is_symlink():
            self.libs_dir.unlink()
        elif self.libs_dir.exists():
            shutil.rmtree(self.libs_dir)

    # -- format --------------------------------------------------------------------------

    def _format(self) -> str:
        if self._kafka_jar(self.libs_dir) is None:
            raise BrokerError(
                f"No Kafka jars in {self.libs_dir}; run `impact-dev infra fetch` first"
            )
        meta = self.data_dir / "meta.properties"
        if not meta.is_file() and self.secured:
            broker_security.ensure(self.security_dir, self._local_endpoint()[0])
        elif (
            meta.is_file()
            and not self.secured
            and self.settings.kafka_local_security != "PLAINTEXT"
        ):
            self._say(
                f"The broker in {self.data_dir} was formatted PLAINTEXT (no authentication, no "
                "ACLs); `impact-dev infra down`, remove that folder and `impact-dev infra up` to "
                "secure it."
            )
        self._render_config()
        if meta.is_file():
            cluster_id = _read_properties(meta).get("cluster.id", "")
            if not cluster_id:
                raise BrokerError(
                    f"{meta} names no cluster.id; remove {self.data_dir} to start anew"
                )
            if not self.cluster_id_path.is_file():
                self.cluster_id_path.write_text(cluster_id + "\n")
            return cluster_id

        java = self._java()
        classpath = f"{self.libs_dir}/*"
        cluster_id = ""
        with contextlib.suppress(OSError):
            cluster_id = self.cluster_id_path.read_text().strip()
        if not cluster_id:
            result = self._run(
                [java, "-cp", classpath, STORAGE_TOOL, "random-uuid"],
                timeout=120,
                what="random-uuid",
            )
            cluster_id = (
                result.stdout.strip().splitlines()[-1].strip() if result.stdout.strip() else ""
            )
            if result.returncode != 0 or not re.fullmatch(r"[A-Za-z0-9_-]{22}", cluster_id):
                raise BrokerError(
                    f"{STORAGE_TOOL} random-uuid failed (exit {result.returncode}):\n"
                    + tail_text(result.stdout)
                )
            self.cluster_id_path.write_text(cluster_id + "\n")

        started = time.monotonic()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # One node starts its own quorum; the nodes of the cluster name theirs, static, in
        # controller.quorum.voters, which the format reads from server.properties.
        quorum = ["--standalone"] if self.node is None else []
        scram: list[str] = []
        material = broker_security.load(self.security_dir) if self.secured else None
        for name, password in sorted(material.users.items()) if material else ():
            scram += ["--add-scram", f"{SCRAM_MECHANISM}=[name={name},password={password}]"]
        result = self._run(
            [java, "-cp", classpath, STORAGE_TOOL, "format",
             "-t", cluster_id, "-c", str(self.properties_path), *quorum, *scram],
            timeout=120,
            what="StorageTool format",
        )  # fmt: skip
        if result.returncode != 0 or not meta.is_file():
            raise BrokerError(
                f"Formatting {self.data_dir} failed (exit {result.returncode}):\n"
                + tail_text(result.stdout)
            )
        self._say(
            f"Formatted {self.data_dir} (cluster {cluster_id}, {time.monotonic() - started:.1f} s)"
        )
        return cluster_id

    def _render_config(self) -> None:
        host, port = self._local_endpoint()
        template_path = self.settings.infra_dir.resolve() / "kafka" / "server.properties.template"
        log4j_source = self.settings.infra_dir.resolve() / "kafka" / "log4j2.properties"
        security_path = template_path.with_name("security.properties.template")
        material = broker_security.load(self.security_dir) if self.secured else None
        try:
            template = Template(template_path.read_text())
            security = Template(security_path.read_text()) if material else None
            log4j = log4j_source.read_text()
        except FileNotFoundError as exc:
            raise BrokerError(f"{exc.filename} is missing from the checkout") from exc
        listener = "CLIENT" if material else "PLAINTEXT"
        if self.node is None:
            node_id, replicas = 1, 1
            quorum = f"controller.quorum.bootstrap.servers={host}:{self.controller_port}"
        else:
            node_id, replicas = self.node.node_id, self.node.size
            quorum = f"controller.quorum.voters={self.node.voters}"
        try:
            rendered = template.substitute(
                node_id=node_id,
                quorum=quorum,
                internal_replicas=replicas,
                internal_min_isr=min(2, replicas),
                host=host,
                port=port,
                controller_port=self.controller_port,
                data_dir=self.data_dir,
                client_listener=listener,
                protocol_map=(
                    "CLIENT:SASL_SSL,CONTROLLER:SSL"
                    if material
                    else "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT"
                ),
            )
            if security is not None and material is not None:
                rendered += security.substitute(
                    security_dir=material.folder,
                    broker_user=BROKER_PRINCIPAL,
                    broker_password=material.broker_password,
                    broker_pem=material.broker_pem,
                    ca_pem=material.ca,
                    super_users=";".join(
                        f"User:{name}"
                        for name in (
                            ADMIN_PRINCIPAL,
                            BROKER_PRINCIPAL,
                            BROKER_CERTIFICATE_PRINCIPAL,
                        )
                    ),
                )
        except (KeyError, ValueError) as exc:
            raise BrokerError(f"a broker template has an unknown placeholder: {exc}") from exc
        self.node_dir.mkdir(parents=True, exist_ok=True)
        _write_if_changed(self.properties_path, rendered, private=True)
        _write_if_changed(self.log4j_path, log4j)

    # -- start and wait ------------------------------------------------------------------

    def _start_command(self, java: str) -> list[str]:
        heap = (self.node.heap if self.node is not None else self.settings.kafka_heap).strip()
        if not _HEAP.match(heap):
            raise ConfigurationError(
                f"IMPACT_KAFKA_HEAP={heap!r} is not a JVM size such as 1g or 512m"
            )
        return [
            java,
            f"-Xms{heap}",
            f"-Xmx{heap}",
            "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20",
            "-XX:InitiatingHeapOccupancyPercent=35",
            "-XX:+ExplicitGCInvokesConcurrent",
            "-XX:+ExitOnOutOfMemoryError",
            "-Djava.awt.headless=true",
            f"-Dkafka.logs.dir={self.logs_dir}",
            f"-Dlog4j2.configurationFile={self.log4j_path}",
            "-cp",
            f"{self.libs_dir}/*",
            MAIN_CLASS,
            str(self.properties_path),
        ]

    def _wait_answering(
        self,
        process: subprocess.Popen[bytes] | None,
        pid: int,
        host: str,
        port: int,
        deadline: float,
    ) -> None:
        delay = 0.1
        while True:
            exit_code = process.poll() if process is not None else None
            if exit_code is not None or (process is None and not self._is_ours(pid)):
                self.pid_path.unlink(missing_ok=True)
                code = f" with code {exit_code}" if exit_code is not None else ""
                raise BrokerError(
                    f"The Kafka broker (pid {pid}) exited{code} while starting.\n{self.log_tail()}"
                )
            if self._answers(host, port):
                return
            if time.monotonic() >= deadline:
                tail = self.log_tail()
                if process is not None:
                    # We started it and it never answered: leave nothing half-up behind.
                    self._signal(pid, signal.SIGKILL)
                    self._wait_gone(pid, 10)
                    self.pid_path.unlink(missing_ok=True)
                    raise BrokerError(
                        f"The {self._title} did not answer on {host}:{port} in time; stopped it "
                        f"(pid {pid}). Raise the timeout on a slow machine.\n{tail}"
                    )
                raise BrokerError(
                    f"The Kafka broker (pid {pid}) runs but does not answer on {host}:{port}; "
                    f"`impact-dev infra down` and `impact-dev infra up` restart it.\n{tail}"
                )
            time.sleep(delay)
            delay = min(delay * 1.5, 0.5)

    def _answers(self, host: str, port: int) -> bool:
        """Whether a kafka-python admin client gets a describe-cluster answer."""
        try:
            with socket.create_connection((host, port), timeout=0.5):
                pass
        except OSError:
            return False
        from kafka import KafkaAdminClient  # slow import; only when something listens

        from impact.kafka import client_config

        try:
            admin = KafkaAdminClient(
                **client_config(self.admin_connection()),
                client_id="impact-infra",
                bootstrap_timeout_ms=3000,
                request_timeout_ms=3000,
            )
        except Exception as exc:  # kafka-python raises several kinds here
            logger.debug("admin client could not bootstrap: %r", exc)
            return False
        try:
            cluster = admin.describe_cluster()
            return bool(cluster.get("brokers"))
        except Exception as exc:
            logger.debug("describe_cluster failed: %r", exc)
            return False
        finally:
            with contextlib.suppress(Exception):
                admin.close()

    # -- what LocalService asks for -----------------------------------------------------

    @property
    def _home(self) -> Path:
        return self.node_dir

    @property
    def _log_files(self) -> tuple[Path, ...]:
        return (self.logs_dir / "server.log", self.logs_dir / "stdout.log")

    def _is_ours(self, pid: int) -> bool:
        """A live (not zombie) ``java ... kafka.Kafka <our server.properties>`` process."""
        args = proc_args(pid)  # a zombie's cmdline is empty
        return MAIN_CLASS.encode() in args and str(self.properties_path).encode() in args

    def _find_ours(self) -> int | None:
        return next((pid for pid in proc_pids() if self._is_ours(pid)), None)

    def _tidy_stopped(self) -> None:
        self.pid_path.unlink(missing_ok=True)

    # -- checks --------------------------------------------------------------------------

    def _local_endpoint(self) -> tuple[str, int]:
        host, port = self._endpoint()
        if not self.is_local:
            raise BrokerError(
                f"KAFKA_BOOTSTRAP_SERVERS={self.settings.kafka_bootstrap_servers!r} is not this "
                "machine: the local broker only listens on 127.0.0.1. Unset it to use the local "
                "broker; a remote cluster is not started or stopped by `impact-dev infra`."
            )
        if self.settings.kafka_security_protocol is not None:
            raise BrokerError(
                "The local broker makes its own credentials (SASL_SSL, or PLAINTEXT with "
                "IMPACT_KAFKA_SECURITY=PLAINTEXT); "
                f"KAFKA_SECURITY_PROTOCOL={self.settings.kafka_security_protocol} is for a remote "
                "cluster: unset it"
            )
        if port == self.controller_port:
            raise ConfigurationError(
                f"The broker port and IMPACT_KAFKA_CONTROLLER_PORT are both {port}; pick two"
            )
        return host, port

    def _java(self) -> str:
        if self._java_path is not None:
            return self._java_path
        java_home = os.environ.get("JAVA_HOME")
        java = None
        if java_home and (Path(java_home) / "bin" / "java").is_file():
            java = str(Path(java_home) / "bin" / "java")
        java = java or shutil.which("java")
        if java is None:
            raise BrokerError(
                "Java was not found (no java on PATH, JAVA_HOME unset); the local Kafka broker "
                "needs it: install Java 17+ (e.g. `apt-get install openjdk-17-jre-headless`)."
            )
        result = self._run([java, "-version"], timeout=60, what="java -version")
        match = _JAVA_VERSION.search(result.stdout)
        if match is None:
            raise BrokerError(f"Could not tell the version of {java}:\n{tail_text(result.stdout)}")
        major = int(match.group("major"))
        if major == 1 and match.group("minor"):
            major = int(match.group("minor"))
        if major < MIN_JAVA:
            raise BrokerError(
                f"{java} is Java {major}; Kafka 4 needs Java {MIN_JAVA}+: install Java 17+ and put "
                "it first on PATH or set JAVA_HOME"
            )
        self._java_path = java
        return java

    def _check_port_free(self, host: str, port: int, role: str) -> None:
        if self.node is not None:
            where = (
                "give the cluster other ports with KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:<port>,"
                "127.0.0.1:<port>,... and IMPACT_KAFKA_CONTROLLER_PORT=<first port>"
            )
        else:
            where = (
                "give this broker other ports with KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:<port> and "
                "IMPACT_KAFKA_CONTROLLER_PORT=<port>"
            )
        self._ensure_port_free(
            host,
            port,
            lambda owner: (
                f"Port {port} on {host} (the {role} listener) is already in use by {owner}. "
                f"Stop that process, or {where}."
            ),
        )


def _read_properties(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def _write_if_changed(path: Path, text: str, private: bool = False) -> None:
    with contextlib.suppress(OSError):
        if path.read_text() == text:
            if private:
                os.chmod(path, 0o600)
            return
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    if private:
        os.chmod(tmp, 0o600)
    tmp.replace(path)
