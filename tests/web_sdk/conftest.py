"""Every test of the web SDK harness carries the marker `web_sdk`."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/web_sdk/" in item.nodeid:
            item.add_marker(pytest.mark.web_sdk)
