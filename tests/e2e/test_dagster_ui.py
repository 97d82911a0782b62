"""The Dagster UI serves the ledger's definitions, as the README tells operators to open it."""

import pytest

from tests.e2e.dagster_ui import dagster_ui

pytestmark = pytest.mark.e2e


def test_dagster_dev_serves_the_assets_jobs_and_schedule(impact_env, tmp_path):
    home = tmp_path / "dagster"
    home.mkdir()
    with dagster_ui(impact_env, home) as query:
        answer = query(
            "{ assetNodes { assetKey { path } } repositoriesOrError { ... on RepositoryConnection "
            "{ nodes { jobs { name } schedules { name } sensors { name } } } } }"
        )
    assets = {tuple(n["assetKey"]["path"]) for n in answer["assetNodes"]}
    assert {
        ("published_events",),
        ("raw_events",),
        ("projections",),
        ("quarterly_scores",),
        ("review_published",),
        ("council_report",),
    } <= assets
    (repository,) = answer["repositoriesOrError"]["nodes"]
    assert "quarterly_review_schedule" in {s["name"] for s in repository["schedules"]}
    assert repository["sensors"], "the sensor that loads new events is served"
