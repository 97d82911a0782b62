"""ClickHouse projections built only from ``impact.events``: disposable, rebuildable from offset 0."""
