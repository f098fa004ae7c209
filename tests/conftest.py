"""Session-wide test ordering: the slow run starts its longest tests first.

`make test` runs the `slow` tests with `--dist loadscope --no-loadscope-reorder`: each xdist worker takes
the next module, in the order its first test comes, as it frees up (a module's tests stay together, so
a module-scoped scenario runs once). Longest first, the 26 s and 16 s tests start at once on different
workers and the short modules fill in around them; in file order, one worker could draw the longest
test last while the other sat idle (53 s against 70 s, same tests).
"""

from __future__ import annotations

import pytest


@pytest.hookimpl(trylast=True)  # after pytest has grouped the items by their module-scoped parameters
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: -_seconds(item))  # stable: equal estimates keep their order


def _seconds(item: pytest.Item) -> float:
    marker = item.get_closest_marker("duration")
    return float(marker.args[0]) if marker else 0.0
