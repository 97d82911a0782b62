"""``python -m impact.cli``: the ``impact`` command."""

from impact.cli import main

main()
