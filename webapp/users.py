"""Accounts for curators and admins (and optional physician logins), argon2-hashed in webapp.db."""
from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from kb_errors import KBError
from kb_settings import Settings

from . import store
from .db import connect, init_schema

ROLES: tuple[str, ...] = ("physician", "curator", "admin")
_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
_hasher = PasswordHasher()  # holds parameters only; hashing happens in the calls below
_DUMMY_HASH: str | None = None  # made by _dummy_hash() on first use


def _dummy_hash() -> str:
    """Verifying against this keeps the time of "no such user" close to "wrong password" (made on first use, not at
    import: an argon2 hash costs tens of milliseconds and memory that every process would pay)."""
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = _hasher.hash("not-a-real-password")  # two threads racing here both make a valid hash
    return _DUMMY_HASH


class UserError(KBError, ValueError):
    """A bad name, role or password; the message is meant for the operator."""

    status = 400


def _db_path(settings: Settings) -> str:
    return str(settings.home / "webapp.db")


def _conn(settings: Settings):
    path = _db_path(settings)
    init_schema(path)
    return connect(path)


def add_user(settings: Settings, name: str, password: str, role: str) -> None:
    """Create or replace an account (replacing resets the password), for `kb users add`."""
    if not _NAME.match(name or ""):
        raise UserError("user name must be 1-64 letters, digits or . _ @ -")
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")
    if len(password or "") < 8:
        raise UserError("password must be at least 8 characters")
    conn = _conn(settings)
    try:
        store.save_user(conn, name, _hasher.hash(password), role)  # ends the account's existing sessions
    finally:
        conn.close()


def remove_user(settings: Settings, name: str) -> bool:
    """Delete an account; True if it existed."""
    conn = _conn(settings)
    try:
        return store.delete_user(conn, name)
    finally:
        conn.close()


def list_users(settings: Settings) -> list[dict]:
    """Names and roles (never hashes) for `kb users list`."""
    conn = _conn(settings)
    try:
        return [{"name": u.name, "role": u.role, "created": u.created} for u in store.all_users(conn)]
    finally:
        conn.close()


def get_role(settings: Settings, name: str) -> str | None:
    """The account's current role, looked up per request so removals take effect at once."""
    conn = _conn(settings)
    try:
        user = store.get_user(conn, name)
        return user.role if user else None
    finally:
        conn.close()


def verify(settings: Settings, name: str, password: str) -> str | None:
    """Check a password; return the role on success, None otherwise (never says which part was wrong)."""
    conn = _conn(settings)
    try:
        row = store.password_hash(conn, name)
        if row is None:
            try:
                _hasher.verify(_dummy_hash(), password or "x")
            except VerificationError:
                pass
            return None
        stored, role = row
        try:
            _hasher.verify(stored, password or "")
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if _hasher.check_needs_rehash(stored):
            store.set_password_hash(conn, name, _hasher.hash(password))
        return role
    finally:
        conn.close()
