"""The server listens on this machine only unless a city says otherwise (issue 18: it listened on every interface)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_server_listens_on_localhost_by_default():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["address"] == "127.0.0.1"
    assert config["server"]["enableXsrfProtection"] is True
    assert config["client"]["showErrorDetails"] == "none"


def test_the_server_does_not_collect_garbage_after_every_run():
    """Decision 069: Streamlit's postScriptGC (a full gc.collect after every run of every session) was
    42 % of the server's time under load."""
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["runner"]["postScriptGC"] is False


def _outward_address() -> str | None:
    """This machine's address on its network (no packet is sent), or None when it has none."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if address.startswith("127.") else address


def test_the_default_server_refuses_connections_from_the_network(built_warehouse, tmp_path):
    import socket
    from urllib.parse import urlparse

    import pytest

    from tests.browser.harness import start_streamlit

    outward = _outward_address()
    if outward is None:
        pytest.skip("this machine has no address besides loopback")
    server = start_streamlit(built_warehouse, tmp_path / "server.log", address=None)  # as the repo configures it
    try:
        port = urlparse(server.url).port
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass  # this machine is served
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((outward, port), timeout=5).close()
    finally:
        server.stop()
