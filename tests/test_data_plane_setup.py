"""Starting the data plane, or not: its settings, its port, the `media` extra it needs, and the
control plane alone never importing aiortc (docs/live-stages.md, choice C56)."""

from __future__ import annotations

import logging
import subprocess
import sys
from typing import Any

import pytest

from emulator import Config, create_app
from emulator.dataplane import availability
from emulator.dataplane.availability import DataPlaneUnavailable
from emulator.dataplane.urls import DataPlaneUrls, public_host
from emulator.http.cli import load_config
from emulator.http.server import serve
from emulator.service.stages import stage_endpoints


def test_the_control_plane_alone_never_imports_the_media_libraries() -> None:
    code = (
        "import sys\n"
        "from emulator import Config, create_app\n"
        "app = create_app(Config())\n"
        "app.test_client().post('/CreateStage', json={'name': 's'})\n"
        "print(sorted(m for m in ('aiortc', 'aiohttp', 'aioice', 'av') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"


def test_stages_keep_the_service_endpoints_without_the_data_plane() -> None:
    endpoints = stage_endpoints("123456789012")
    assert endpoints["events"] == "wss://global.events.live-video.net"
    assert endpoints["whip"].startswith("https://") and endpoints["whip"].endswith(
        ".global-bm.whip.live-video.net"
    )


def test_with_the_data_plane_stages_name_it_and_keep_their_rtmp_hosts() -> None:
    urls = DataPlaneUrls("127.0.0.1", 4600)
    endpoints = stage_endpoints("123456789012", urls.endpoints)
    assert (endpoints["events"], endpoints["whip"]) == (
        "ws://127.0.0.1:4600/events",
        "http://127.0.0.1:4600/whip",
    )
    assert endpoints["rtmp"] == stage_endpoints("123456789012")["rtmp"]


def test_an_ipv6_public_host_is_bracketed() -> None:
    assert DataPlaneUrls("::1", 4600).root == "http://[::1]:4600"


@pytest.mark.parametrize(
    ("listen", "configured", "told"),
    [
        ("127.0.0.1", None, "127.0.0.1"),
        ("0.0.0.0", None, "127.0.0.1"),
        ("0.0.0.0", "media.example.test", "media.example.test"),
    ],
)
def test_the_public_host(listen: str, configured: str | None, told: str) -> None:
    assert public_host(listen, configured) == told


def test_the_data_plane_port_defaults_to_the_api_port_plus_one() -> None:
    assert load_config(["--port", "4700", "--data-plane"]).data_plane_listen_port == 4701
    assert load_config(["--data-plane-port", "0"]).data_plane_listen_port == 0
    assert Config.from_env({"IVS_EMULATOR_DATA_PLANE": "true"}).data_plane is True


def test_a_data_plane_port_out_of_range_is_refused() -> None:
    with pytest.raises(SystemExit):
        load_config(["--data-plane-port", "70000"])


def without_media(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(availability, "REQUIRED", ("aiohttp", "no_such_media_package"))


def test_asking_for_the_data_plane_without_the_media_extra_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    without_media(monkeypatch)
    with pytest.raises(DataPlaneUnavailable) as caught:
        create_app(Config(data_plane=True, data_plane_port=0))
    assert "no_such_media_package" in str(caught.value)
    assert "pip install 'ivs-realtime-emulator[media]'" in str(caught.value)


def test_the_server_does_not_start_without_the_media_extra(
    monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    without_media(monkeypatch)
    with caplog.at_level(logging.ERROR, logger="emulator.server"):
        assert serve(Config(data_plane=True, port=0)) == 1
    assert "ivs-realtime-emulator[media]" in caplog.text
