"""Who may do what on the broker: the principals of the ledger and the ACLs each is granted.

Deny by default (``allow.everyone.if.no.acl.found=false``): a principal may do only what a
grant below names. Grants are literal, on the exact topic, group and transactional-id
names of one set of ``Topics`` (tests and benches give each run its own names), and
``ensure_topics`` creates them with the administrator's connection together with the
topics. ``grant_commands`` prints the same grants as ``kafka-acls.sh`` commands for a
production cluster.

=========  ===================================================================================
admin      super user: creates topics, SCRAM users and ACLs; nothing else runs as it
relay      events and checkpoints topics: write, read (to resume), describe, describe
           configs; its transactional id
ingest     submissions: read with the ``impact-ingest`` group; rejections: write and read with
           ``<transactional id>-rejections``; describe configs of both
loader     events and checkpoints: read, describe, describe configs
auditor    events, checkpoints and rejections: read, describe
agency-*   submissions: write and describe, nothing else (one principal per agency)
=========  ===================================================================================
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from kafka.admin import (
    ACL,
    ACLFilter,
    ACLOperation,
    ACLPermissionType,
    ACLResourcePatternType,
    ResourcePattern,
    ResourcePatternFilter,
    ResourceType,
)

from impact.settings import ADMIN_PRINCIPAL, Topics

BROKER_PRINCIPAL = "broker"
"""The local broker's own SCRAM login (inter-broker listener); a super user."""
BROKER_CERTIFICATE_PRINCIPAL = "CN=impact-broker"
"""The local broker's identity on its controller listener (TLS with client certificates)."""
SERVICES = ("relay", "ingest", "loader", "auditor")
AGENCIES = ("KAMCO", "KIBO", "BPA", "HUG", "KOSPO", "KSD", "HF", "BNK")
"""The consortium's submitting agencies (``impact.scenario.acts.AGENCIES``)."""
INGEST_GROUP = "impact-ingest"


def agency_principal(agency: str) -> str:
    return f"agency-{agency.lower()}"


def principals() -> list[str]:
    """Every SCRAM login of the ledger, administrator first."""
    return [ADMIN_PRINCIPAL, *SERVICES, *(agency_principal(a) for a in AGENCIES)]


TOPIC, GROUP, TRANSACTIONAL_ID = "topic", "group", "transactional-id"
_RESOURCE = {
    TOPIC: ResourceType.TOPIC,
    GROUP: ResourceType.GROUP,
    TRANSACTIONAL_ID: ResourceType.TRANSACTIONAL_ID,
}
_CLI_FLAG = {TOPIC: "--topic", GROUP: "--group", TRANSACTIONAL_ID: "--transactional-id"}


@dataclass(frozen=True)
class Grant:
    """``principal`` may do ``operations`` on the resource of that kind and literal name."""

    principal: str
    kind: str
    name: str
    operations: tuple[str, ...]

    def acls(self) -> list[ACL]:
        pattern = ResourcePattern(_RESOURCE[self.kind], self.name, ACLResourcePatternType.LITERAL)
        return [
            ACL(
                principal=f"User:{self.principal}",
                host="*",
                operation=ACLOperation[operation.upper().replace("-", "_")],
                permission_type=ACLPermissionType.ALLOW,
                resource_pattern=pattern,
            )
            for operation in self.operations
        ]

    def command(self, bootstrap: str) -> str:
        """The ``kafka-acls.sh`` command that makes the same grant."""
        operations = " ".join(
            f"--operation {''.join(w.capitalize() for w in op.split('-'))}"
            for op in self.operations
        )
        return (
            f"kafka-acls.sh --bootstrap-server {bootstrap} --command-config admin.properties "
            f"--add --allow-principal User:{self.principal} {operations} "
            f"{_CLI_FLAG[self.kind]} {self.name}"
        )


WRITE_READ = ("write", "read", "describe", "describe-configs")
READ = ("read", "describe", "describe-configs")


def grants(topics: Topics, transactional_id: str | None) -> list[Grant]:
    """The grants of every principal on one set of topics and (when given) the relay's
    transactional id."""
    result = [
        Grant("relay", TOPIC, topics.events, WRITE_READ),
        Grant("relay", TOPIC, topics.checkpoints, WRITE_READ),
        Grant("ingest", TOPIC, topics.submissions, READ),
        Grant("ingest", GROUP, INGEST_GROUP, ("read", "describe")),
        Grant("ingest", TOPIC, topics.rejections, WRITE_READ),
        Grant("loader", TOPIC, topics.events, READ),
        Grant("loader", TOPIC, topics.checkpoints, READ),
        Grant("auditor", TOPIC, topics.events, ("read", "describe")),
        Grant("auditor", TOPIC, topics.checkpoints, ("read", "describe")),
        Grant("auditor", TOPIC, topics.rejections, ("read", "describe")),
    ]
    result += [
        Grant(agency_principal(a), TOPIC, topics.submissions, ("write", "describe"))
        for a in AGENCIES
    ]
    if transactional_id is not None:
        result += [
            Grant("relay", TRANSACTIONAL_ID, transactional_id, ("write", "describe")),
            Grant(
                "ingest", TRANSACTIONAL_ID, f"{transactional_id}-rejections", ("write", "describe")
            ),
        ]
    return result


def grant(admin: Any, granted: Iterable[Grant]) -> None:
    """Create the ACLs of ``granted`` through a kafka-python admin client (idempotent: an ACL
    that exists already is left as it is)."""
    from impact.errors import LogError

    acls = [acl for g in granted for acl in g.acls()]
    result = admin.create_acls(acls)
    failed = result.get("failed") or []
    if failed:
        raise LogError(f"creating {len(failed)} of {len(acls)} ACLs failed: {failed[:3]}")


def revoke(admin: Any, kind: str, names: Iterable[str]) -> int:
    """Delete every ACL on the resources of ``kind`` with these literal ``names`` (a test's
    topics and transactional ids, once it is done with them); return how many went."""
    filters = [
        ACLFilter(
            principal=None,
            host=None,
            operation=ACLOperation.ANY,
            permission_type=ACLPermissionType.ANY,
            resource_pattern=ResourcePatternFilter(
                _RESOURCE[kind], name, ACLResourcePatternType.LITERAL
            ),
        )
        for name in names
    ]
    if not filters:
        return 0
    return sum(len(matched) for _, matched, _ in admin.delete_acls(filters))


def grant_commands(bootstrap: str, topics: Topics, transactional_id: str) -> list[str]:
    """Shell commands that create the principals and their ACLs on a production cluster
    (``impact.kafka.clients.topic_commands`` creates the topics)."""
    users = [
        f"kafka-configs.sh --bootstrap-server {bootstrap} --command-config admin.properties "
        f"--alter --entity-type users --entity-name {name} "
        "--add-config 'SCRAM-SHA-512=[iterations=8192,password=<password of "
        f"{name}>]'"
        for name in principals()
        if name != ADMIN_PRINCIPAL
    ]
    return users + [g.command(bootstrap) for g in grants(topics, transactional_id)]
