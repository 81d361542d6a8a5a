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
from .db import audit, get_db
from .render import parse_date

bp = Blueprint("admin", __name__)  # nested in the curator blueprint: /curate; each route needs the admin role


@bp.route("/audit")
@role_required("admin")
def audit_view() -> Any:
    """The audit log in the app: filter by person, action, document and dates; edits show before -> after."""
    args = request.args
    f = {k: args.get(k, "").strip() for k in ("user", "action", "target", "from", "to")}
    where, params = [], []
    if f["user"]:
        where.append("user = ?")
        params.append(f["user"])
    if f["action"]:
        where.append("action = ?")
        params.append(f["action"])
    if f["target"]:
        where.append("target LIKE ? ESCAPE '\\'")
        params.append("%" + f["target"].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
    errors = []
    for key, label, op, suffix in (("from", "From", ">=", ""), ("to", "To", "<=", "T23:59:59+99:99")):
        if f[key]:
            if parse_date(f[key]) is None:
                errors.append(f"{label} must be a date written YYYY-MM-DD.")
            else:
                where.append(f"created {op} ?")
                params.append(f[key] + suffix)
    db = get_db()
    sql = "SELECT * FROM audit" + (" WHERE " + " AND ".join(where) if where and not errors else "")
    rows = db.execute(sql + " ORDER BY id DESC LIMIT 200", params if not errors else []).fetchall()
    users = [r[0] for r in db.execute("SELECT DISTINCT user FROM audit ORDER BY 1")]
    actions = [r[0] for r in db.execute("SELECT DISTINCT action FROM audit ORDER BY 1")]
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
    rows = get_db().execute("SELECT created, user, action, target, detail FROM audit ORDER BY id").fetchall()
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["time_utc", "user", "action", "target_doc", "detail"])
    for r in rows:
        w.writerow([_csv_cell(r[k]) for k in ("created", "user", "action", "target", "detail")])
    audit(g.user, "audit_download")
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
            audit(g.user, "token_create", target=f"token {token_id}", detail=json.dumps({"name": name.strip()}))
    return render_template("curate/tokens.html", tokens=list_tokens(db), new_token=new_token, errors=errors), \
        (400 if errors else 200)


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@role_required("admin")
def revoke_api_token(token_id: int) -> Any:
    from .tokens import revoke_token

    name = revoke_token(get_db(), token_id)  # TokenError (404 unknown id): webapp's handler renders it
    audit(g.user, "token_revoke", target=f"token {token_id}", detail=json.dumps({"name": name}))
    flash(f"Token #{token_id} ({name}) revoked: requests using it are refused from now on.")
    return redirect(url_for("curate.admin.api_tokens"))
