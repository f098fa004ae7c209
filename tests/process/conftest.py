"""Every test here starts real `leadrelay serve` processes: all of them are `slow`.

Marked by directory, so a new process test cannot forget it; `make test-fast` leaves them out and
`make test` runs them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

_HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(_HERE):
            item.add_marker(pytest.mark.slow)
