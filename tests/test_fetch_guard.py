"""The URL box, feeds and `newsqa ingest URL` never fetch from this machine's own networks by
default. Real servers on loopback hold a "secret" page; every spelling of a loopback address,
a redirect to one, and a name that changes its address between the check and the connection
are refused with one message that names the reason, and the server sees no request."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from local_http import Route, serve

import ingest.fetch
from core.records import Failure
from core.settings import Settings
from ingest.loaders import load_source
from vectorstore.store import NewsStore
from webapp.handlers import NewsApp

REPO = Path(__file__).resolve().parents[1]
SECRET = (
    b"<html><head><title>Internal admin</title></head><body><article><p>The admin password is "
    b"hunter2 and the database listens on port 5432 of this host. Never show this page to "
    b"anyone outside the building, the operations team said on Monday.</p></article></body>"
    b"</html>"
)


@pytest.fixture
def secret_site():
    with serve({"/secret.html": Route(SECRET)}) as site:
        yield site


@pytest.fixture
def default_settings(tmp_path: Path) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path / "data")  # fetch_allow_private off


def spellings(port: int) -> list[str]:
    return [
        f"http://127.0.0.1:{port}/secret.html",
        f"http://localhost:{port}/secret.html",
        f"http://0:{port}/secret.html",
        f"http://2130706433:{port}/secret.html",
        f"http://0x7f.1:{port}/secret.html",
        f"http://127.1:{port}/secret.html",
        f"http://[::ffff:127.0.0.1]:{port}/secret.html",
    ]


def test_every_spelling_of_loopback_is_refused_before_a_request(secret_site, default_settings):
    port = int(secret_site.url("/").rsplit(":", 1)[1].split("/")[0])
    for url in spellings(port):
        (failure,) = list(load_source(url, default_settings))
        assert isinstance(failure, Failure), url
        assert failure.reason.startswith("refused: "), (url, failure.reason)
        assert "own networks" in failure.reason and "NEWSQA_FETCH_ALLOW_PRIVATE" in failure.reason
    assert secret_site.requests == []


def test_private_link_local_and_reserved_addresses_are_refused_too(default_settings):
    for address, kind in (
        ("10.1.2.3", "private"),
        ("192.168.0.10", "private"),
        ("172.16.5.5", "private"),
        ("169.254.169.254", "link-local"),  # the cloud metadata service
        ("100.64.0.1", "reserved"),
        ("240.0.0.1", "reserved"),
        ("[fe80::1]", "link-local"),
        ("[fd00::1]", "private"),
    ):
        (failure,) = list(load_source(f"http://{address}/", default_settings))
        assert failure.reason.startswith(f"refused: {address.strip('[]')} is a"), failure.reason
        assert kind in failure.reason, (address, failure.reason)


def test_an_open_port_and_a_closed_one_get_the_same_words(secret_site, default_settings):
    """No port scanning by error message: the refusal comes before any connection."""
    port = int(secret_site.url("/").rsplit(":", 1)[1].split("/")[0])
    open_port = list(load_source(f"http://127.0.0.1:{port}/x", default_settings))[0].reason
    closed = list(load_source("http://127.0.0.1:9/x", default_settings))[0].reason
    assert open_port == closed


def test_a_redirect_to_loopback_is_refused(monkeypatch, default_settings):
    """Only loopback servers can run here, so 127.0.0.1 stands in for a public host (the test
    counts it as public); it redirects to 127.0.0.2, which stays off limits."""
    real_kind = ingest.fetch._kind
    monkeypatch.setattr(
        ingest.fetch, "_kind", lambda a: None if str(a) == "127.0.0.1" else real_kind(a)
    )
    with serve({"/secret.html": Route(SECRET)}, host="127.0.0.2") as inner:
        with serve({"/story": Route(b"", status=302, location=inner.url("/secret.html"))}) as outer:
            (failure,) = list(load_source(outer.url("/story"), default_settings))
            assert outer.requests and outer.requests[0][0] == "/story"  # the first hop went
        assert inner.requests == []
    assert failure.reason.startswith("refused: 127.0.0.2 is a loopback address"), failure.reason


def test_a_name_that_turns_private_after_the_check_is_refused_at_connect(
    monkeypatch, secret_site, default_settings
):
    """DNS rebinding: the name resolves to a public address when the request is checked and to
    loopback when the connection is made. The connection dials only checked addresses."""
    import ipaddress

    answers = iter([[ipaddress.ip_address("93.184.215.14")]])
    real_resolve = ingest.fetch._resolve

    def rebinding(host: str, port: int):
        return next(answers, None) or real_resolve("127.0.0.1", port)

    monkeypatch.setattr(ingest.fetch, "_resolve", rebinding)
    port = int(secret_site.url("/").rsplit(":", 1)[1].split("/")[0])
    (failure,) = list(load_source(f"http://news.example:{port}/secret.html", default_settings))
    assert failure.reason.startswith("refused: news.example (127.0.0.1) is a loopback address")
    assert secret_site.requests == []


def test_the_app_url_box_refuses_the_machines_own_pages(secret_site, default_settings):
    app = NewsApp(default_settings, store=NewsStore(default_settings))
    url = secret_site.url("/secret.html")
    *_, (report, *_rest) = app.add_articles([], url)
    assert "1 failed" in report and "refused: 127.0.0.1 is a loopback address" in report
    assert secret_site.requests == []
    assert app.store.stats().articles == 0


def test_the_cli_refuses_by_default_and_fetches_when_allowed(secret_site, tmp_path: Path):
    url = secret_site.url("/secret.html")
    command = [sys.executable, "-m", "newsqa", "--data-dir", str(tmp_path / "data")]
    command += ["ingest", url, "--json", "--quiet"]
    refused = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert refused.returncode == 1
    (failure,) = json.loads(refused.stdout)["failed"]
    assert failure["reason"].startswith("refused: 127.0.0.1 is a loopback address")
    assert secret_site.requests == []
    allowed = subprocess.run(
        command,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NEWSQA_FETCH_ALLOW_PRIVATE": "true"},
    )
    assert allowed.returncode == 0, allowed.stderr
    assert json.loads(allowed.stdout)["added"] == 1
