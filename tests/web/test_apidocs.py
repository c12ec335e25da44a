"""``/docs`` and ``/redoc`` load their scripts and styles from the hub itself, not a CDN."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient


def test_the_api_documentation_pages_use_only_vendored_files(client: TestClient) -> None:
    for path in ("/docs", "/redoc"):
        page = client.get(path)
        assert page.status_code == 200
        sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert sources
        assert all(s.startswith(("/console/static/apidocs/", "data:")) for s in sources), sources
        for source in sources:
            if source.startswith("/"):
                asset = client.get(source)
                assert asset.status_code == 200, source
                assert len(asset.content) > 100_000, source
