"""The grants of the ledger's principals, and the commands that make them on a cluster."""

from typer.testing import CliRunner

from impact.cli.app import app
from impact.kafka.access import AGENCIES, grants, principals
from impact.scenario.acts import AGENCIES as SCENARIO_AGENCIES
from impact.settings import Topics

TOPICS = Topics(
    events="impact.events",
    submissions="impact.submissions",
    rejections="impact.submissions.rejected",
    checkpoints="impact.events.checkpoints",
    partitions=3,
    replication_factor=3,
)


def test_every_agency_of_the_scenario_has_a_principal():
    assert set(AGENCIES) == set(SCENARIO_AGENCIES)
    assert {f"agency-{a.lower()}" for a in AGENCIES} <= set(principals())


def test_an_agency_may_write_the_submissions_topic_and_nothing_else():
    for grant in grants(TOPICS, "impact-relay"):
        if grant.principal.startswith("agency-"):
            assert (grant.kind, grant.name, grant.operations) == (
                "topic",
                "impact.submissions",
                ("write", "describe"),
            )


def test_only_the_relay_and_the_administrator_may_write_the_events_and_checkpoints():
    writers = {
        g.principal
        for g in grants(TOPICS, "impact-relay")
        if g.name in (TOPICS.events, TOPICS.checkpoints) and "write" in g.operations
    }
    assert writers == {"relay"}  # the administrator is a super user, not granted


def test_impact_acls_prints_the_topics_users_and_acls_for_a_cluster(monkeypatch, tmp_path):
    monkeypatch.setenv("IMPACT_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka1.example:9093")
    printed = CliRunner().invoke(app, ["acls"])
    assert printed.exit_code == 0, printed.output
    lines = printed.output.splitlines()
    assert any(
        "kafka-topics.sh" in line
        and "--topic impact.submissions " in line
        and "message.timestamp.type=LogAppendTime" in line
        for line in lines
    )
    assert sum("kafka-configs.sh" in line for line in lines) == len(principals()) - 1
    assert (
        "kafka-acls.sh --bootstrap-server kafka1.example:9093 --command-config admin.properties "
        "--add --allow-principal User:agency-bpa --operation Write --operation Describe "
        "--topic impact.submissions"
    ) in lines
    assert any("User:relay" in line and "--transactional-id impact-relay" in line for line in lines)
