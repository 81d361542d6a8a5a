"""Sessions end when they should, logins back off per account, and forged input never yields a 500 or a forged log
line (issue 16, items 6, 7, 11 and 12)."""
from __future__ import annotations

import dataclasses
import logging
import sqlite3
from datetime import timedelta
from types import SimpleNamespace

import pytest

from webapp_testutil import PASSWORD, login
from webapp.users import add_user, remove_user


def _curate_ok(client) -> bool:
    return client.get("/curate/").status_code == 200


# ------------------------------------------------------------------------------------------- item 6
def test_logout_ends_every_session_of_that_user(app, users):
    a, b = app.test_client(), app.test_client()
    assert login(a, "cara").status_code == 302 and login(b, "cara").status_code == 302
    assert _curate_ok(a) and _curate_ok(b)
    a.post("/logout")
    assert not _curate_ok(b)  # the other browser (or a stolen copy of the cookie) is signed out too


def test_replayed_cookie_after_logout_is_refused(app, users):
    c = app.test_client()
    login(c, "cara")
    cookie = c.get_cookie("session").value
    c.post("/logout")
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    assert not _curate_ok(thief)


@pytest.mark.parametrize("change", ["password", "role", "removal"])
def test_password_role_change_and_removal_end_sessions(app, users, settings, change):
    c = app.test_client()
    login(c, "ada")
    assert _curate_ok(c)
    if change == "password":
        add_user(settings, "ada", "a brand new password", "admin")
    elif change == "role":
        add_user(settings, "ada", PASSWORD, "curator")
    else:
        remove_user(settings, "ada")
    assert not _curate_ok(c)


def test_cookie_holding_only_a_user_name_is_not_a_session(app, users):
    """The old cookie format (a signed user name) must not log anyone in, e.g. one forged with a leaked key."""
    serializer = app.session_interface.get_signing_serializer(app)
    forged = app.test_client()
    forged.set_cookie("session", serializer.dumps({"user": "ada"}))
    assert not _curate_ok(forged)
    assert forged.get("/curate/audit.csv").status_code != 200


def test_session_cookie_is_secure_behind_tls_and_has_a_lifetime(make_app, settings, users):
    app = make_app(settings_=dataclasses.replace(settings, behind_tls=True, session_hours=8))
    resp = login(app.test_client(), "cara")
    cookie = resp.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "Expires=" in cookie
    assert app.permanent_session_lifetime == timedelta(hours=8)
    plain = make_app()
    assert "Secure" not in login(plain.test_client(), "cara").headers["Set-Cookie"]


# ------------------------------------------------------------------------------------------- item 7
def test_login_backs_off_per_account_with_the_generic_error(app, users, monkeypatch):
    import webapp.auth as auth

    clock = [1_000_000.0]
    monkeypatch.setattr(auth, "_now", lambda: clock[0])
    c = app.test_client()
    for _ in range(auth.FREE_FAILURES):
        assert login(c, "cara", "wrong wrong wrong").status_code == 401
    # now even the right password is refused for a while, with the same message (from any worker or address)
    other_address = app.test_client()
    r = login(other_address, "cara")
    assert r.status_code == 401 and "Unknown user name or wrong password." in r.get_data(as_text=True)
    assert login(app.test_client(), "ada").status_code == 302  # other accounts are unaffected
    clock[0] += 3
    assert login(other_address, "cara").status_code == 302  # after the back-off the account works again
    assert login(app.test_client(), "cara", "wrong wrong wrong").status_code == 401
    assert login(app.test_client(), "cara").status_code == 302  # success reset the count


def test_failed_login_user_name_is_never_stored_verbatim(app, users, settings):
    c = app.test_client()
    login(c, "MyS3cretPassw0rd!", "whatever whatever")
    login(c, "cara", "wrong wrong wrong")
    rows = sqlite3.connect(settings.home / "webapp.db").execute("SELECT user, action FROM audit").fetchall()
    text = repr(rows)
    assert "MyS3cretPassw0rd" not in text and "mys3cretpassw0rd" not in text
    assert ("cara", "login_failed") in rows  # a real account's name is still recorded
    assert "MyS3cretPassw0rd" not in repr(sqlite3.connect(settings.home / "webapp.db")
                                          .execute("SELECT * FROM login_failures").fetchall())


# ------------------------------------------------------------------------------------------- item 11
@pytest.mark.parametrize("evil", ["/\r\nSet-Cookie: x=1", "/ok\nX-Forged: 1", "/%0d%0a\r\n"])
def test_crlf_in_next_and_back_is_a_safe_redirect(client, users, evil):
    r = client.post("/login", data={"username": "cara", "password": PASSWORD, "next": evil})
    assert r.status_code == 302 and "\n" not in r.headers["Location"] and "\r" not in r.headers["Location"]
    r = client.post("/feedback", data={"verdict": "helpful", "q": "naloxone", "doc_id": "opioid-taper",
                                       "chunk_id": "0", "generation": "g000001", "back": evil})
    assert r.status_code == 302 and "\n" not in r.headers["Location"] and "\r" not in r.headers["Location"]


def test_huge_integers_in_job_and_quarantine_urls_are_404(curator):
    huge = "9" * 40
    assert curator.get(f"/curate/jobs/{huge}").status_code == 404
    assert curator.post(f"/curate/quarantine/{huge}/release").status_code == 404


# ------------------------------------------------------------------------------------------- item 12
def test_anonymous_feedback_is_rate_limited(make_app, settings):
    app = make_app(settings_=dataclasses.replace(settings, feedback_rate_limit="5/minute"), RATELIMIT_ENABLED=True)
    c = app.test_client()
    form = {"verdict": "helpful", "q": "naloxone", "doc_id": "opioid-taper", "chunk_id": "0", "generation": "g1"}
    codes = [c.post("/feedback", data=form).status_code for _ in range(8)]
    assert codes[:5] == [302] * 5 and 429 in codes[5:]


def test_access_log_lines_cannot_be_forged():
    from gunicorn.config import Config

    from kb_settings import Settings
    from webapp import gunicorn_options

    opts = gunicorn_options(Settings(), "127.0.0.1", 5000)
    cfg = Config()
    for k, v in opts.items():
        cfg.set(k, v)
    logger = opts["logger_class"](cfg)
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": "/x", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "10.0.0.1",
               "PATH_INFO": '/documents/x\n10.9.9.9 [01/Jan/2026] "GET /curate/audit.csv" 200 1 1ms\x1b[2J'}
    resp = SimpleNamespace(status="404 NOT FOUND", sent=10, headers=[], response_length=10)
    req = SimpleNamespace(headers=[])
    atoms = logger.atoms(resp, req, environ, timedelta(milliseconds=3))
    line = cfg.access_log_format % logger.atoms_wrapper_class(atoms)
    assert "\n" not in line and "\x1b" not in line and "\\x0a" in line


def test_kb_log_queries_really_writes_query_lines(make_app, settings, capsys):
    app = make_app(settings_=dataclasses.replace(settings, log_queries=True))
    app.test_client().get("/", query_string={"q": "opted in oxycodone"})
    assert "opted in oxycodone" in capsys.readouterr().err
    logging.getLogger("webapp.search").handlers.clear()


def test_queries_are_not_logged_by_default(make_app, settings, capsys):
    logging.getLogger("webapp.search").handlers.clear()
    app = make_app()
    app.test_client().get("/", query_string={"q": "private oxycodone question"})
    assert "private oxycodone question" not in capsys.readouterr().err


# ------------------------------------------------------------------------------------------- item 8
def test_search_page_filter_lists_are_bounded(make_app):
    from fake_kb import FakeKB, make_doc

    docs = [make_doc(f"d{i}", f"Doc {i}", "Opioid text.", tags=[f"tag-{i}-{j}" for j in range(50)]) for i in range(8)]
    app = make_app(kb=FakeKB(docs))
    html = app.test_client().get("/").get_data(as_text=True)
    assert html.count('<option value="tag-') <= 200
