"""Who may use the console: every route for a logged-out visitor, a non-admin and an admin;
one-time links (expired, reused, forged) and CSRF refusals change nothing."""

from __future__ import annotations

import pytest

from bot.admin.console_logins import LinkPolicy, LoginRefused
from tests.console.conftest import ADMIN, OTHER_ADMIN, Console

GET_ROUTES = [
    "/faq",
    "/faq?q=shipping&language=en&enabled=yes",
    "/faq/new",
    "/faq/1",
    "/faq/1/revisions",
    "/faq/import",
    "/faq/export?format=yaml",
    "/unanswered",
    "/conversations",
    "/conversations?q=ship&user=5",
    "/handoffs",
    "/quality",
    "/quality?days=30",
    "/quality/evaluate",
]
POST_ROUTES = [
    "/faq/new",
    "/faq/1",
    "/faq/preview",
    "/faq/1/rollback",
    "/faq/import",
    "/faq/import/confirm",
    "/unanswered/attach",
    "/handoffs/1/reply",
    "/handoffs/1/finish",
    "/logout",
]


async def _entry_state(console: Console) -> tuple[str, int]:
    entry = await console.app.admin.show_faq(1)
    return entry.answer, entry.revision


@pytest.mark.parametrize("path", GET_ROUTES)
async def test_admin_sees_every_page(console: Console, path: str) -> None:
    await console.login()
    response = await console.client.get(path)
    assert response.status_code == 200, response.text[:500]
    assert response.headers["x-frame-options"] == "DENY"
    assert "script-src 'self'" in response.headers["content-security-policy"]


async def test_logged_out_visitor_gets_sign_in_page_everywhere(console: Console) -> None:
    before = await _entry_state(console)
    for path in GET_ROUTES:
        response = await console.client.get(path)
        assert response.status_code == 401, path
        assert "Please sign in" in response.text
    for path in POST_ROUTES:
        response = await console.client.post(path, data={"answer": "hacked", "question": "q"})
        assert response.status_code == 401, path
    assert await _entry_state(console) == before


async def test_non_admin_is_refused_everywhere(console: Console) -> None:
    csrf = await console.login(OTHER_ADMIN)
    # OTHER_ADMIN is removed from SUPPORTBOT_ADMIN_IDS while signed in.
    console.services.logins.policy = LinkPolicy([ADMIN], 10)
    before = await _entry_state(console)
    response = await console.client.post(
        "/faq/1", data={"csrf": csrf, "question": "q", "answer": "hacked"}
    )
    assert response.status_code == 403
    assert "Not an administrator" in response.text
    for path in GET_ROUTES:  # the session was cleared: signed out from now on
        assert (await console.client.get(path)).status_code == 401, path
    assert await _entry_state(console) == before
    with pytest.raises(LoginRefused):
        await console.services.logins.issue_link(OTHER_ADMIN)


async def test_post_without_csrf_token_changes_nothing(console: Console) -> None:
    await console.login()
    before = await _entry_state(console)
    for path in POST_ROUTES:
        response = await console.client.post(path, data={"question": "q", "answer": "hacked"})
        assert response.status_code == 403, path
        assert "CSRF" in response.text
    wrong = await console.client.post(
        "/faq/1", data={"csrf": "not-the-token", "question": "q", "answer": "hacked"}
    )
    assert wrong.status_code == 403
    assert await _entry_state(console) == before
    assert (await console.client.get("/faq")).status_code == 200  # still signed in


async def test_login_link_works_once(console: Console) -> None:
    link = await console.services.logins.issue_link(ADMIN)
    token = link.rsplit("/", 1)[1]
    assert link.startswith("http://127.0.0.1:8099/login/")
    confirm = await console.client.get(f"/login/{token}")
    assert confirm.status_code == 200 and "Sign in" in confirm.text
    first = await console.client.post("/login", data={"token": token})
    assert first.status_code == 303 and first.headers["location"] == "/faq"
    cookie = first.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "max-age=43200" in cookie
    console.client.cookies.clear()
    again = await console.client.post("/login", data={"token": token})
    assert again.status_code == 403
    assert "already used" in again.text
    assert (await console.client.get("/faq")).status_code == 401


async def test_expired_and_forged_links_are_refused(console: Console) -> None:
    link = await console.services.logins.issue_link(ADMIN)
    token = link.rsplit("/", 1)[1]
    forged = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    for bad in (forged, "nonsense"):
        response = await console.client.post("/login", data={"token": bad})
        assert response.status_code == 403 and "not valid" in response.text
    console.services.logins.policy = LinkPolicy([ADMIN, OTHER_ADMIN], -1)  # validity passed
    shown = await console.client.get(f"/login/{token}")
    assert shown.status_code == 403 and "expired" in shown.text
    response = await console.client.post("/login", data={"token": token})
    assert response.status_code == 403 and "expired" in response.text
    assert (await console.client.get("/faq")).status_code == 401


async def test_logout_ends_the_session(console: Console) -> None:
    csrf = await console.login()
    response = await console.client.post("/logout", data={"csrf": csrf})
    assert response.status_code == 200 and "Signed out" in response.text
    assert (await console.client.get("/faq")).status_code == 401
