"""`kb serve`, `kb users`, `kb tokens`, `kb settings`: running the web app and administering it."""
from __future__ import annotations

import sys
from dataclasses import replace

import click

from .common import existing, fail, settings_of


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", type=int, help="Worker processes [env KB_WORKERS].")
@click.option("--threads", type=int, help="Threads per worker [env KB_THREADS].")
@click.pass_context
def serve(ctx, host, port, workers, threads):
    """Serve the web app and JSON API under gunicorn."""
    from webapp import port_problem, public_url
    from webapp import serve as run_server
    from webapp.users import list_users

    s = existing(ctx)
    s = replace(s, workers=workers or s.workers, threads=threads or s.threads)
    problem = port_problem(host, port)
    if problem:
        fail(problem)

    def announce(message: str) -> None:
        click.echo(message)
        sys.stdout.flush()

    if not any(u["role"] in ("curator", "admin") for u in list_users(s)):
        click.echo("No curator account yet: create the first one with `kb users add NAME --role admin` "
                   "(from the project folder: .venv/bin/kb users add NAME --role admin).")
    click.echo(f"Starting Practice Partner on {public_url(host, port)} (KB {s.home}, {s.workers} worker(s) x "
               f"{s.threads} threads); loading the model and index, \"ready\" follows when it answers ...")
    sys.stdout.flush()
    run_server(s, host, port, announce)


@click.group()
def users():
    """Curator and admin accounts for the web app."""


@users.command(name="add")
@click.argument("name")
@click.option("--role", type=click.Choice(["physician", "curator", "admin"]), default="physician", show_default=True,
              help="physician: may search when KB_REQUIRE_LOGIN=1; curator: also uploads, edits and deletes "
                   "documents; admin: also the audit log and API tokens.")
@click.option("--password", envvar="KB_NEW_PASSWORD", help="Prompted (hidden); or from KB_NEW_PASSWORD for scripts.")
@click.pass_context
def users_add(ctx, name, role, password):
    """Create an account, or reset its password and role (least privilege by default: physician)."""
    from webapp.users import add_user

    settings = existing(ctx)  # before the prompt: a wrong KB_HOME fails at once
    if not password:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    add_user(settings, name, password, role)
    click.echo(f"user {name} ({role}) saved in {settings.home}")


@users.command(name="list")
@click.pass_context
def users_list(ctx):
    """Accounts and their roles."""
    from webapp.users import list_users

    for u in list_users(existing(ctx)):
        click.echo(f"{u['name']:24} {u['role']}")


@users.command(name="remove")
@click.argument("name")
@click.pass_context
def users_remove(ctx, name):
    """Delete an account."""
    from webapp.users import remove_user

    if not remove_user(existing(ctx), name):
        fail(f"no user named {name!r}")
    click.echo(f"user {name} removed")


@click.group()
def tokens():
    """Read-only API tokens for other services (an EMR); only a hash is stored."""


@tokens.command(name="add")
@click.argument("name")
@click.pass_context
def tokens_add(ctx, name):
    """Create a read-only API token; it is printed once and cannot be shown again."""
    from webapp.tokens import create_token, open_db

    conn = open_db(existing(ctx))
    try:
        token_id, token = create_token(conn, name, "cli")
    finally:
        conn.close()
    click.echo(f"token #{token_id} ({name}, read-only). Copy it now, it is not stored and will not be shown again:")
    click.echo(token)


@tokens.command(name="list")
@click.pass_context
def tokens_list(ctx):
    """API tokens with their scope, dates and state (never the token itself)."""
    from webapp.tokens import list_tokens, open_db

    conn = open_db(existing(ctx))
    try:
        rows = list_tokens(conn)
    finally:
        conn.close()
    for t in rows:
        state = f"revoked {t['revoked']}" if t["revoked"] else f"last used {t['last_used'] or 'never'}"
        click.echo(f"#{t['id']:<4} {t['name']:24} {t['scope']:5} created {t['created']} by {t['created_by']}; {state}")
    if not rows:
        click.echo("no API tokens")


@tokens.command(name="revoke")
@click.argument("token_id", type=int)
@click.pass_context
def tokens_revoke(ctx, token_id):
    """Revoke a token by its number; requests with it get 401 at once."""
    from webapp.tokens import open_db, revoke_token

    conn = open_db(existing(ctx))
    try:
        name = revoke_token(conn, token_id)
    finally:
        conn.close()
    click.echo(f"token #{token_id} ({name}) revoked")


@click.command()
@click.option("--markdown", is_flag=True, help="Print the README's settings table (name, default, meaning) instead.")
@click.pass_context
def settings(ctx, markdown):
    """Every setting's value in force and where it came from (default, environment or option)."""
    from kb_settings import settings_in_force, settings_markdown

    if markdown:
        click.echo(settings_markdown())
        return
    for name, value, origin in settings_in_force(settings_of(ctx)):
        click.echo(f"{name:24} {value:40} {origin}")


COMMANDS = (serve, users, tokens, settings)
