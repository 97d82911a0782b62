"""The README's "Using it" block, run as written, in a folder and on topics of its own.

The commands are read from the README itself, so the two cannot drift. What a reader
replaces by hand is replaced here the same way: ``<key id>`` and ``ID`` by the key id
``keys generate`` printed, optional ``[…]`` parts left out; ``outcomes.jsonl`` is the
README's own example. Left out: setting ``PATH`` (the test names the command), the
and the development tools. (A ledger built today was recorded today, so its ``--as-of`` example
replays "now"; the demo's, recorded in 2018-2021, is where a past day can be seen: the
auditors' scenario test replays it.)
"""

import re
import shlex
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import IMPACT

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

README = Path(__file__).parents[2] / "README.md"


def using_it() -> tuple[list[str], str]:
    """The "Using it" block's command lines, and the example of ``outcomes.jsonl``."""
    section = README.read_text(encoding="utf-8").split("## Using it", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"^```\n(.*?)^```", section, re.S | re.M)
    example = re.search(r"^```json\n(.*?)^```", section, re.S | re.M)
    assert block is not None and example is not None
    lines = block.group(1).replace("\\\n", " ").splitlines()
    commands = [re.sub(r"\s+#\s.*$", "", line).strip() for line in lines]
    return [c for c in commands if c], example.group(1)


def test_the_walkthrough_runs_as_written(impact_env, tmp_path):
    commands, outcomes = using_it()
    (tmp_path / "outcomes.jsonl").write_text(outcomes, encoding="utf-8")
    env = {**impact_env, "IMPACT_AGENCIES_DIR": str(tmp_path / ".agencies")}
    said: dict[str, str] = {}
    key_id = ""
    for line in commands:
        if line.startswith(("export PATH", "impact-dev")):
            continue
        line = re.sub(r"\s*\[[^\]]*\]", "", line)  # optional parts left out
        if key_id:
            line = line.replace("<key id>", key_id).replace("--key-id ID", f"--key-id {key_id}")
        args = shlex.split(line)
        assert args[0] == "impact", line
        done = subprocess.run(
            [IMPACT, *args[1:]], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
        said[line] = done.stdout + done.stderr
        if args[1:3] == ["keys", "generate"]:
            found = re.search(r"key id\s+(\S+)", done.stdout)
            assert found is not None
            key_id = found.group(1)

    def output(prefix: str) -> str:
        return next(text for line, text in said.items() if line.startswith(prefix))

    assert "proposal C-2018-0002 rejected" in output("impact proposal reject")
    assert "corrected to 6105.5" in output("impact program correct")
    assert "jobs_created" in output("impact catalogue") and "S4-T2" in output("impact plan")
    assert "1 submissions sent" in output("impact submit")
    assert "0 applied, 1 rejected (unknown_program 1)" in output("impact ingest")
    assert "sealed under subject subject:C-2018-0001" in output("impact privacy status")
    assert "which now read as [erased]" in output("impact privacy erase")
    assert "replayed 2019Q1 as of" in output("impact review 2019Q1 --as-of")
    ranking = output("impact review 2019Q1")
    assert re.search(r"│\s+1 │ P-BPA-01 ", ranking), ranking
    assert "P-BPA-01 promoted in the review of 2019Q1" in output("impact council decide")
    assert (tmp_path / "review-2019Q1.html").stat().st_size > 10_000
