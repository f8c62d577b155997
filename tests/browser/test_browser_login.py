"""With NEWSQA_AUTH set, the app asks for a login and a wrong password gets nobody in."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import start_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def login_app(tmp_path_factory):
    running = start_app(tmp_path_factory.mktemp("login") / "data", ingest=False,
                        auth="editor:correct horse")  # fmt: skip
    yield running
    running.demo.close()


def test_wrong_password_is_refused_and_right_one_lets_in(chromium, login_app):
    context = chromium.new_context()
    tab = context.new_page()
    tab.goto(login_app.url)
    tab.get_by_label("username").fill("editor")
    tab.get_by_label("password").fill("wrong")
    tab.get_by_role("button", name="Login").click()
    expect(tab.get_by_text("Incorrect Credentials")).to_be_visible()
    assert tab.locator("#nq-chat").count() == 0
    tab.get_by_label("username").fill("editor")
    tab.get_by_label("password").fill("correct horse")
    tab.get_by_role("button", name="Login").click()
    expect(tab.locator("#nq-chat")).to_be_visible(timeout=30_000)
    context.close()


def test_api_is_closed_without_login(login_app):
    import httpx

    response = httpx.get(login_app.url + "config", timeout=10)
    assert response.status_code == 401
