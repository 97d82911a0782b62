"""The public site: citizens follow what became of their proposals, as static HTML.

``build_site`` writes a folder that needs no server (open ``index.html`` from disk or
publish it anywhere): Korean first with English, one page per proposal (title, channel,
date, category; its review, the decision and its reason, what it was merged into, the
programmes it became and whether one was promoted to a joint project) and per programme
(its outcomes against targets by quarter, charts with a table as their text
alternative), and an index that lists them all, filterable by status, strategy and agency
through plain links (a little script filters in place too; the page works without it).

Built from the projections only, and never from a proposer: the ``Proposal.Submitted``
payload's sealed personal data is not read here at all.
"""

from pathlib import Path

from impact.projections.store import ProjectionStore
from impact.site.data import gather
from impact.site.render import write_site


def build_site(store: ProjectionStore, out: Path) -> dict[str, int]:
    """Write the site into ``out``; the number of pages of each kind."""
    return write_site(gather(store), out)
