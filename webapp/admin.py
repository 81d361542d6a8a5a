"""Admin pages: the audit log (filtered view and CSV download) and read-only API tokens for services.

Nested in the curator blueprint (``curate.admin.*`` under /curate); every route needs the admin role.
"""
from __future__ import annotations

import csv
import io
import json
from typing import Any

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for

from .auditlog import ACTION_LABELS, audit_row
from .auth import role_required
from . import store
from .db import get_db
from .render import parse_date

bp = Blueprint("admin", __name__)  # nested in the curator blueprint: /curate; each route needs the admin role


@bp.route("/audit")
@role_required("admin")
def audit_view() -> Any:
    """The audit log in the app: filter by person, action, document and dates; edits show before -> after."""
    args = request.args
    f = {k: args.get(k, "").strip() for k in ("user", "action", "target", "from", "to")}
    errors = [f"{label} must be a date written YYYY-MM-DD." for key, label in (("from", "From"), ("to", "To"))
              if f[key] and parse_date(f[key]) is None]
    db = get_db()
    filters = {} if errors else {"user": f["user"], "action": f["action"], "target": f["target"],
                                 "from_day": f["from"], "to_day": f["to"]}
    rows = store.audit_entries(db, **filters)
    users, actions = store.audit_people(db), store.audit_actions(db)
    return render_template("curate/audit.html", rows=[audit_row(r) for r in rows], f=f, users=users,
                           actions=[(a, ACTION_LABELS.get(a, a)) for a in actions], errors=errors), \
        (400 if errors else 200)



def _csv_cell(value: Any) -> str:
    """Neutralise spreadsheet formulas (=, +, -, @) in a user-controlled cell."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@bp.route("/audit.csv")
@role_required("admin")
def audit_csv() -> Response:
    """The whole audit log as CSV, for admins only."""
    rows = store.audit_entries(get_db(), limit=None, newest_first=False)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["time_utc", "user", "action", "target_doc", "detail"])
    for r in rows:
        w.writerow([_csv_cell(value) for value in (r.created, r.user, r.action, r.target, r.detail)])
    store.audit(get_db(), g.user, "audit_download")
    return Response(buf.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=audit.csv"})


# ---------------------------------------------------------------- API tokens (admin)


@bp.route("/tokens", methods=["GET", "POST"])
@role_required("admin")
def api_tokens() -> Any:
    """Create (shown once) and list read-only API tokens for services such as an EMR."""
    from .tokens import TokenError, create_token, list_tokens

    db = get_db()
    new_token, errors = None, []
    if request.method == "POST":
        name = request.form.get("name", "")
        try:
            token_id, new_token = create_token(db, name, g.user)
        except TokenError as e:
            errors.append(str(e)[:1].upper() + str(e)[1:] + ".")
        else:
            store.audit(db, g.user, "token_create", target=f"token {token_id}",
                        detail=json.dumps({"name": name.strip()}))
    return render_template("curate/tokens.html", tokens=list_tokens(db), new_token=new_token, errors=errors), \
        (400 if errors else 200)


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@role_required("admin")
def revoke_api_token(token_id: int) -> Any:
    from .tokens import revoke_token

    name = revoke_token(get_db(), token_id)  # TokenError (404 unknown id): webapp's handler renders it
    store.audit(get_db(), g.user, "token_revoke", target=f"token {token_id}", detail=json.dumps({"name": name}))
    flash(f"Token #{token_id} ({name}) revoked: requests using it are refused from now on.")
    return redirect(url_for("curate.admin.api_tokens"))
