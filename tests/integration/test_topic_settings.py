"""Topic settings are checked, not trusted: drift is reported at the start of the relay,
the ingest and the loader (once a minute at most in one process), and the ingest refuses a
submissions topic whose records carry their senders' timestamps."""

import logging

import pytest
from kafka.admin import AlterConfigOp, ConfigResource, ConfigResourceType

from impact.kafka import TopicSettingsError, admin_client, ensure_topics, topic_drift
from impact.settings import Settings


def alter(settings: Settings, topic: str, key: str, value: str) -> None:
    admin = admin_client(settings.kafka)
    try:
        resource = ConfigResource(
            ConfigResourceType.TOPIC, topic, {key: (AlterConfigOp.SET, value)}
        )
        result = admin.alter_configs([resource], raise_on_unknown=False, incremental=True)
        assert str(result["topic"][topic]) == "OK", result
    finally:
        admin.close()


def test_the_ingest_refuses_to_start_on_a_submissions_topic_stamped_by_senders(platform, ledger):
    settings = platform.settings
    ensure_topics(settings.kafka, settings.topics)
    alter(settings, settings.topics.submissions, "message.timestamp.type", "CreateTime")
    admin = admin_client(settings.kafka)
    try:
        drift = topic_drift(admin, settings.topics)
    finally:
        admin.close()
    assert drift[settings.topics.submissions] == {
        "message.timestamp.type": ("LogAppendTime", "CreateTime")
    }
    with pytest.raises(TopicSettingsError, match="LogAppendTime"):
        platform.ingest().run(until_idle=True)

    alter(settings, settings.topics.submissions, "message.timestamp.type", "LogAppendTime")
    platform.ingest().run(until_idle=True)


def test_relay_and_loader_report_drift_from_the_declared_settings(platform, ledger, store, caplog):
    settings = platform.settings
    ensure_topics(settings.kafka, settings.topics)
    alter(settings, settings.topics.events, "retention.ms", "86400000")
    caplog.set_level(logging.WARNING, logger="impact.kafka.clients")

    relay = platform.relay()
    relay.start()
    relay.close()
    platform.loader()
    drifted = [r.getMessage() for r in caplog.records if "has drifted" in r.getMessage()]
    assert len(drifted) == 2, drifted  # the relay's start, the loader's
    assert all(
        f"topic {settings.topics.events}" in m and "retention.ms=86400000 (declared -1)" in m
        for m in drifted
    ), drifted
