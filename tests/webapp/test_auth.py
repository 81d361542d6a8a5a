"""Accounts, login/logout, roles, require_login, CSRF and rate limits."""
from __future__ import annotations

import dataclasses
import os
import stat

import pytest

from webapp_testutil import PASSWORD, csrf_token, login
from webapp import load_secret_key
from webapp.users import UserError, add_user, list_users, remove_user, verify


def test_users_hash_and_verify(settings):
    add_user(settings, "cara", PASSWORD, "curator")
    assert verify(settings, "cara", PASSWORD) == "curator"
    assert verify(settings, "cara", "wrong password") is None
    assert verify(settings, "nobody", PASSWORD) is None
    import sqlite3
    row = sqlite3.connect(settings.home / "webapp.db").execute("SELECT password_hash FROM users").fetchone()
    assert row[0].startswith("$argon2") and PASSWORD not in row[0]
    add_user(settings, "cara", "another password", "admin")  # replace resets password and role
    assert verify(settings, "cara", "another password") == "admin"
    assert [u["name"] for u in list_users(settings)] == ["cara"]
    assert remove_user(settings, "cara") and not remove_user(settings, "cara")


@pytest.mark.parametrize("name,pw,role", [("", PASSWORD, "curator"), ("a b", PASSWORD, "curator"),
                                          ("ok", "short", "curator"), ("ok", PASSWORD, "root")])
def test_users_reject_bad_input(settings, name, pw, role):
    with pytest.raises(UserError):
        add_user(settings, name, pw, role)


def test_login_logout(client, users):
    assert client.get("/login").status_code == 200
    bad = login(client, users["curator"], "nope nope nope")
    assert bad.status_code == 401 and "wrong password" in bad.get_data(as_text=True)
    r = login(client, users["curator"])
    assert r.status_code == 302
    assert client.get("/curate/").status_code == 200
    assert "Sign out cara" in client.get("/").get_data(as_text=True)
    assert client.post("/logout").status_code == 302
    assert client.get("/curate/").status_code == 302


def test_logout_requires_post(client):
    assert client.get("/logout").status_code == 405


def test_login_next_is_same_site_only(client, users):
    r = client.post("/login", data={"username": "cara", "password": PASSWORD, "next": "/curate/documents"})
    assert r.headers["Location"] == "/curate/documents"
    client.post("/logout")
    for evil in ["https://evil.example/", "//evil.example/x", "/\\evil.example"]:
        r = client.post("/login", data={"username": "cara", "password": PASSWORD, "next": evil})
        assert r.headers["Location"] == "/", evil
        client.post("/logout")


def test_curate_requires_login_and_role(client, users):
    r = client.get("/curate/documents")
    assert r.status_code == 302 and "/login?next=" in r.headers["Location"]
    login(client, users["physician"])
    assert client.get("/curate/documents").status_code == 403


def test_audit_csv_admin_only(client, users):
    login(client, users["curator"])
    assert client.get("/curate/audit.csv").status_code == 403
    client.post("/logout")
    login(client, users["admin"])
    r = client.get("/curate/audit.csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    text = r.get_data(as_text=True)
    assert text.splitlines()[0] == "time_utc,user,action,target_doc,detail"
    assert ",cara,login," in text and ",ada,login," in text and ",cara,logout," in text


def test_removed_user_loses_session(client, users, settings):
    login(client, users["curator"])
    remove_user(settings, "cara")
    assert client.get("/curate/").status_code == 302


def test_require_login_protects_search_but_not_health(make_app, settings, users):
    app = make_app(settings_=dataclasses.replace(settings, require_login=True))
    c = app.test_client()
    r = c.get("/?q=oxycodone")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    assert c.get("/api/search?q=oxycodone").status_code == 401
    assert c.get("/api/search?q=oxycodone").get_json()["error"]
    assert c.get("/documents/evil").status_code == 302
    assert c.get("/healthz").status_code == 200
    login(c, users["physician"])
    assert c.get("/?q=oxycodone").status_code == 200
    assert c.get("/api/search?q=oxycodone").status_code == 200
    assert c.get("/curate/").status_code == 403


def test_search_open_by_default(client):
    assert client.get("/?q=oxycodone").status_code == 200


def test_csrf_enforced_when_enabled(make_app, users):
    app = make_app(WTF_CSRF_ENABLED=True)
    c = app.test_client()
    assert c.post("/login", data={"username": "cara", "password": PASSWORD}).status_code == 400
    assert login(c, "cara", csrf=True).status_code == 302
    r = c.post("/feedback", data={"q": "x", "doc_id": "evil", "chunk_id": "0", "verdict": "helpful"})
    assert r.status_code == 400 and "form expired" in r.get_data(as_text=True)
    token = csrf_token(c.get("/?q=oxycodone").get_data(as_text=True))
    r = c.post("/feedback", data={"q": "x", "doc_id": "evil", "chunk_id": "0", "verdict": "helpful",
                                  "csrf_token": token})
    assert r.status_code == 302
    assert c.post("/curate/documents/evil/delete").status_code == 400
    assert c.post("/curate/reindex").status_code == 400
    assert c.post("/logout").status_code == 400


def test_every_post_form_carries_csrf_token(make_app, users, fake_kb):
    """Render every page with a form and check each POST form has a token field."""
    import re
    app = make_app(WTF_CSRF_ENABLED=True)
    c = app.test_client()
    login(c, "ada", csrf=True)
    fake_kb.quarantine[1] = {"qid": 1, "filename": "f.md", "created": "", "reasons": [], "text": "", "doc_id": "f"}
    pages = ["/", "/?q=oxycodone", "/login", "/curate/", "/curate/upload", "/curate/documents",
             "/curate/documents/evil/edit", "/curate/documents/evil/delete", "/curate/quarantine"]
    for p in pages:
        html = c.get(p).get_data(as_text=True)
        for form in re.findall(r'<form[^>]*method="post".*?</form>', html, flags=re.S):
            assert 'name="csrf_token"' in form, (p, form[:200])


def test_login_rate_limited(make_app, users):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3/minute")
    c = app.test_client()
    codes = [c.post("/login", data={"username": "cara", "password": "bad bad bad"}).status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    assert c.get("/login").status_code == 200  # only POST is limited


def test_search_rate_limited(make_app):
    app = make_app(RATELIMIT_ENABLED=True, SEARCH_RATE_LIMIT="2/minute")
    c = app.test_client()
    assert [c.get("/api/search?q=oxycodone").status_code for _ in range(3)] == [200, 200, 429]
    assert c.get("/api/search?q=oxycodone").get_json()["error"]
    assert c.get("/").status_code == 200  # the bare page does not count


def test_secret_key_generated_once_with_0600(tmp_path):
    from kb_settings import Settings
    s = Settings(home=tmp_path / "home")
    k1 = load_secret_key(s)
    k2 = load_secret_key(s)
    assert k1 == k2 and len(k1) >= 32
    mode = stat.S_IMODE(os.stat(tmp_path / "home" / "secret_key").st_mode)
    assert mode == 0o600
    assert load_secret_key(dataclasses.replace(s, secret_key="explicit")) == "explicit"


def test_session_cookie_flags(client, users):
    r = login(client, "cara")
    cookie = r.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
