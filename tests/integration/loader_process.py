"""The loader in a process of its own, for kill -9 trials (chDB opens one path per process).

``python -m tests.integration.loader_process load STATUS BATCH [READERS]`` loads the events
topic named by the environment, writing how many rows ClickHouse holds to STATUS after each
stored batch (and, with reading processes, their pids to STATUS.children once they run);
``… check STATUS`` writes what ClickHouse holds as JSON to STATUS.
"""

import multiprocessing
import sys
from pathlib import Path

import orjson

from impact.projections.loader import Loader, SignedLog
from impact.projections.schema import TYPED
from impact.projections.store import ProjectionStore
from impact.settings import Settings


def _write(path: Path, data: object) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(orjson.dumps(data))
    tmp.replace(path)


def main() -> None:
    command, status = sys.argv[1], Path(sys.argv[2])
    settings = Settings()
    store = ProjectionStore(settings.clickhouse)
    if command == "load":
        children = status.with_suffix(".children")

        def stored(_: object) -> None:
            if not children.exists():
                _write(children, [p.pid for p in multiprocessing.active_children()])
            _write(status, store.rows("SELECT count() FROM {db}.raw_events")[0][0])

        readers = int(sys.argv[4]) if len(sys.argv) > 4 else settings.loader_readers
        loader = Loader(store, SignedLog.of(settings), batch_size=int(sys.argv[3]), readers=readers)
        loader.run(until_idle=True, on_batch=stored)
        stored(None)
    elif command == "check":
        offsets = store.rows(
            "SELECT partition, groupArray(offset) FROM {db}.raw_events GROUP BY partition"
        )
        _write(
            status,
            {
                "rows": store.rows(
                    "SELECT count(), uniqExact(event_id) FROM {db}.raw_events WHERE error = ''"
                )[0],
                "offsets": {str(p): sorted(o) for p, o in offsets},
                "typed": {
                    name: store.rows(f"SELECT count(), uniqExact(event_id) FROM {{db}}.{name}")[0]
                    for name in TYPED
                },
                "outcomes": store.rows("SELECT count() FROM {db}.outcome_versions")[0][0],
            },
        )
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main()
