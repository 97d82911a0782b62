"""``python -m impact.cli``: the ``impact`` command."""

from impact.cli.app import main

main()
