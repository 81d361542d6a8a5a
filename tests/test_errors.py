"""One error root: every family derives from kb_errors.KBError and carries the status the web app answers with."""
from __future__ import annotations

import ast
import pickle
import sys
from pathlib import Path

import pytest

from kb_errors import ConfigError, KBError

ROOT = Path(__file__).resolve().parent.parent


def _families():
    from index import errors as ie
    from ingest import errors as ge
    from ingest.privacy.ner import ModelUnavailable
    from webapp.search import BadRequest
    from webapp.tokens import TokenError
    from webapp.users import UserError

    return {
        ie.QueryError: 400, ie.DocumentNotFound: 404, ie.KBLocked: 409, ie.CorruptIndex: 500, ie.KBEmpty: 503,
        ie.ModelMismatch: 503, ge.IngestError: 422, ge.UnsupportedFormat: 415, ge.FileTooLarge: 413,
        ge.MetadataError: 422, ge.CorruptDocument: 422, ModelUnavailable: 503, BadRequest: 400, TokenError: 400,
        UserError: 400, ConfigError: 500,
    }


def test_every_family_derives_from_the_root_with_its_status():
    for cls, status in _families().items():
        assert issubclass(cls, KBError) and cls.status == status, cls


def test_names_stay_importable_where_they_were():
    from index.errors import KBError as index_root
    from webapp.users import UserError

    assert index_root is KBError
    assert issubclass(UserError, ValueError)  # callers that caught ValueError still do


def test_a_status_can_be_set_per_error_and_survives_pickling():
    from webapp.tokens import TokenError

    err = TokenError("no API token with id 9", status=404)
    assert (err.status, err.message) == (404, "no API token with id 9")
    assert err.to_json() == {"error": "no API token with id 9"}
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is TokenError and back.status == 404 and str(back) == str(err)


def test_ingest_errors_cross_the_sandbox_boundary_intact():
    from ingest.errors import FileTooLarge

    back = pickle.loads(pickle.dumps(FileTooLarge("big.pdf", "is 80 MB; the limit is 50 MB")))
    assert (back.path, back.reason, back.status, str(back)) == \
        ("big.pdf", "is 80 MB; the limit is 50 MB", 413, "big.pdf: is 80 MB; the limit is 50 MB")


@pytest.mark.parametrize("module", ["kb_errors.py", "kb_settings.py"])
def test_the_shared_modules_import_no_layer(module):
    """kb_errors and kb_settings are imported by ingest/, index/ and webapp/ alike, so they import only the standard
    library (and kb_settings imports kb_errors)."""
    tree = ast.parse((ROOT / module).read_text())
    names = {alias.name.split(".")[0]
             for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    names |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert names - set(sys.stdlib_module_names) - {"kb_errors"} == set()


def test_importing_the_user_module_computes_no_password_hash(monkeypatch):
    """No work at import time: the timing-equaliser hash is made on the first failed login, not on import."""
    import importlib

    import argon2

    calls = []
    real = argon2.PasswordHasher.hash
    monkeypatch.setattr(argon2.PasswordHasher, "hash", lambda self, pw, **kw: calls.append(pw) or real(self, pw, **kw))
    monkeypatch.delitem(sys.modules, "webapp.users", raising=False)
    users = importlib.import_module("webapp.users")
    assert calls == [] and users._DUMMY_HASH is None
    users._dummy_hash()
    users._dummy_hash()
    assert len(calls) == 1
