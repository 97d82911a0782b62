"""What a run leaves in ``--out``: the result as JSON (stamped and latest) and the chart."""

import json
import time
from pathlib import Path
from typing import Any


def write_artifacts(result: dict[str, Any], out: Path) -> list[Path]:
    from impact_dev.bench.chart import draw

    out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    data = out / f"bench-{stamp}.json"
    data.write_text(json.dumps(result, indent=2, default=str))
    latest = out / "bench-latest.json"
    latest.write_text(json.dumps(result, indent=2, default=str))
    return [data, latest, *draw(result, out)]
