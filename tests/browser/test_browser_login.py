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


def test_wrong_passwords_are_throttled_per_user_and_address(tmp_path):
    """Gradio's own /login, over HTTP: after five wrong passwords for a user from one address,
    even the right one is refused for a while (it was accepted after 200 wrong ones); the same
    user from another address, and another user, still get in."""
    import httpx

    from webapp.throttle import FREE_FAILURES

    running = start_app(tmp_path / "data", ingest=False, auth=str(users_file(tmp_path)))
    try:
        login = running.url + "login"
        with httpx.Client(timeout=10) as here:
            for _ in range(FREE_FAILURES):
                wrong = here.post(login, data={"username": "editor", "password": "guess"})
                assert wrong.status_code == 400
            locked = here.post(login, data={"username": "editor", "password": "guess"})
            assert locked.status_code == 429 and int(locked.headers["retry-after"]) >= 1
            assert "Too many failed logins" in locked.json()["detail"]
            right = here.post(login, data={"username": "editor", "password": "correct horse"})
            assert right.status_code == 429  # locked out before the password is looked at
            other = here.post(login, data={"username": "desk", "password": "night shift"})
            assert other.status_code == 200
        elsewhere = httpx.HTTPTransport(local_address="127.0.0.2")
        with httpx.Client(timeout=10, transport=elsewhere) as there:
            right = there.post(login, data={"username": "editor", "password": "correct horse"})
            assert right.status_code == 200
    finally:
        running.demo.close()


def users_file(folder):
    path = folder / "users"
    path.write_text("editor:correct horse\ndesk:night shift\n", encoding="utf-8")
    return path
