"""The `openkassa` command: serve, migrate, demo, import, worker, register."""

from __future__ import annotations

import argparse
import logging
import sys

from openkassa.config import get_settings
from openkassa.ids import redact_link_secrets


class RedactLinkSecrets(logging.Filter):
    """Keep the secrets of e-mailed links (confirmation, reset, invitation) out of access logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(redact_link_secrets(a) if isinstance(a, str) else a for a in record.args)
        record.msg = redact_link_secrets(str(record.msg))
        return True


def _serve(args: argparse.Namespace) -> None:
    import uvicorn

    from openkassa.app import create_app

    settings = get_settings()
    if args.migrate:
        from openkassa.schema import migrate

        migrate(settings.sqlalchemy_url)
    logging.getLogger("uvicorn.access").addFilter(RedactLinkSecrets())
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info", proxy_headers=True,
                log_config=None)


def _migrate(args: argparse.Namespace) -> None:
    from openkassa.schema import migrate

    migrate(get_settings().sqlalchemy_url)
    print("The database is up to date.")


def _demo(args: argparse.Namespace) -> None:
    from openkassa import demo
    from openkassa.db import Database
    from openkassa.schema import migrate

    settings = get_settings()
    migrate(settings.sqlalchemy_url)
    db = Database(settings.sqlalchemy_url)
    try:
        with db.transaction() as session:
            empty = demo.database_is_empty(session)
            known = demo.account_exists(session, email=args.email)
        if args.if_empty and not empty:
            print("The database already has accounts; no demo data added.")
            if known:
                print(f"Demo login: {args.email} / {args.password} (unless you changed it)")
            return
        history = demo.create(db, email=args.email, password=args.password, days=args.days)
    finally:
        db.dispose()
    if history.days:
        print(f"Sales of {history.days} days: {history.receipts} receipts, {history.returns} returns, "
              f"{history.shifts} shifts, {history.cash_operations} cash operations.")
    print(f"Demo account ready. Sign in at {settings.base_url}/login")
    print(f"  e-mail:   {args.email}")
    print(f"  password: {args.password}")


def _import(args: argparse.Namespace) -> None:
    """Check a catalog file, show the preview, and apply it (unless --dry-run); exit 1 on refusal."""
    import uuid
    from pathlib import Path

    from openkassa.accounts.service import owner_actor
    from openkassa.catalog import imports
    from openkassa.db import Database
    from openkassa.errors import DomainError
    from openkassa.points.service import find_point

    path = Path(args.file)
    if not path.is_file():
        sys.exit(f"No such file: {path}")
    db = Database(get_settings().sqlalchemy_url)
    try:
        with db.transaction() as session:
            point = find_point(session, uuid.UUID(args.point))
            actor = owner_actor(session, account_id=point.account_id)
            import_id = imports.start(session, actor, point.catalog_id, path.name).id
        imports.check(db, import_id, path, progress=lambda rows: print(f"\rchecked {rows} rows", end="", file=sys.stderr))
        print(file=sys.stderr)
        with db.transaction() as session:
            job = imports.get(session, actor, import_id)
            if job.state == "failed":
                sys.exit(job.error)
            print(f"new: {job.new}, changed: {job.changed}, unchanged: {job.unchanged}, invalid: {job.invalid}")
            if job.ignored_columns:
                print("ignored columns: " + ", ".join(job.ignored_columns.split("\n")))
            for problem in imports.problems(session, job):
                print(f"row {problem.row}, {problem.column}: {problem.message}")
        if args.dry_run:
            return
        with db.transaction() as session:
            imports.apply(session, actor, import_id, skip_invalid=args.skip_invalid)
        print("Applied.")
    except (DomainError, ValueError) as error:
        sys.exit(f"Refused: {error}")
    finally:
        db.dispose()


def _worker(args: argparse.Namespace) -> None:
    from openkassa.db import Database
    from openkassa.jobs.service import Worker

    settings = get_settings()
    worker = Worker(Database(settings.sqlalchemy_url), settings)
    print("Delivering outbox jobs; Ctrl+C stops.")
    try:
        worker.run_forever()
    except KeyboardInterrupt:
        pass


def _register(args: argparse.Namespace) -> None:
    """The cashier's app (or, with --headless, its sync alone) on the register's data folder."""
    import signal
    import threading
    from pathlib import Path

    from openkassa.register.client import SyncError
    from openkassa.register.sync import Link, bind
    from openkassa.register.till import Till, TillError

    folder = Path(args.data)
    stop = threading.Event()
    if args.headless:  # a stop asked while binding ends the program once the binding is done
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        if args.code:
            if not args.server:
                sys.exit("openkassa register: --code needs --server, the back office's address")
            till = bind(folder, server=args.server, code=args.code, name=args.name)
        else:
            till = Till.open(folder)
            if not till.journal.get("token"):
                till.close()
                if args.headless:
                    sys.exit("openkassa register: this register is not bound; give --server and --code")
                server = args.server or input("Адрес сервера (например, http://127.0.0.1:8000): ").strip()
                till = bind(folder, server=server, code=input("Код активации: ").strip(), name=args.name)
            elif till.catalog.point() is not None:
                till.ensure_drive()  # registers a drive whose making a crash cut short
            till.recover()
    except (TillError, SyncError) as error:
        sys.exit(f"openkassa register: {error}")
    link = Link(till)
    try:
        if args.headless:
            print(f"Register bound to {till.journal.get('server')}; syncing until stopped (Ctrl+C).", file=sys.stderr)
            try:
                link.run(stop)
            except KeyboardInterrupt:
                stop.set()
        else:
            from openkassa.register.app import RegisterApp

            RegisterApp(till, link, receipts_dir=folder / "receipts", printer=args.printer, width=args.width).run()
    finally:
        till.close()


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="openkassa", description="OpenKassa back office and cashier app")
    commands = root.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the back office, the JSON API and the device API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--migrate", action="store_true", help="migrate the database before serving")
    serve.set_defaults(handler=_serve)

    commands.add_parser("migrate", help="bring the database to the newest schema").set_defaults(handler=_migrate)

    demo = commands.add_parser("demo", help="create a demo account with points, products and registers")
    demo.add_argument("--email", default="demo@example.com")
    demo.add_argument("--password", default="demo-password")
    demo.add_argument("--if-empty", action="store_true", help="only when the database has no account yet")
    demo.add_argument("--days", type=int, default=365, help="days of sales to make, ending today (0: none)")
    demo.set_defaults(handler=_demo)

    load = commands.add_parser("import", help="import a catalog file (.xlsx, .xls, .csv) into a point's catalog")
    load.add_argument("--point", required=True, help="the point's id; its catalog receives the products")
    load.add_argument("--skip-invalid", action="store_true", help="apply the valid rows even if some are invalid")
    load.add_argument("--dry-run", action="store_true", help="only check the file and show what would change")
    load.add_argument("file")
    load.set_defaults(handler=_import)

    commands.add_parser("worker", help="deliver e-mails and other outbox jobs").set_defaults(handler=_worker)

    register = commands.add_parser("register", help="the cashier's app of a register (or its sync alone, --headless)")
    register.add_argument("--data", default="register-data", help="the register's folder: its fiscal drive, journal and catalog")
    register.add_argument("--server", help="the back office's address, to bind the register")
    register.add_argument("--code", help="the activation code shown on the point's page in the back office")
    register.add_argument("--name", default="Касса", help="the register's name in the back office")
    register.add_argument("--headless", action="store_true", help="no screen: upload and sync until stopped")
    register.add_argument("--printer", help="an ESC/POS printer's device or file to print receipts to")
    register.add_argument("--width", type=int, choices=(32, 48), default=32, help="receipt width: 32 (58 mm) or 48 (80 mm)")
    register.set_defaults(handler=_register)
    return root


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    args = parser().parse_args(argv)
    try:
        args.handler(args)
    except ValueError as error:  # settings refused (a default secret key in production)
        print(f"openkassa: {error}", file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
