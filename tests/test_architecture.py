"""The house rules of docs/architecture.md that a machine can check."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "openkassa"
DOMAINS = ("accounts", "points", "catalog", "sales", "stock", "stats", "reports", "credentials", "integrations", "jobs")


def _imports(folder: Path) -> dict[str, set[str]]:
    """Every `openkassa.*` module imported by each file under a folder."""
    found: dict[str, set[str]] = {}
    for path in folder.rglob("*.py"):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
            elif isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
        found[str(path.relative_to(PACKAGE))] = {n for n in names if n.startswith("openkassa")}
    return found


def test_the_web_layer_imports_no_domain():
    for file, modules in _imports(PACKAGE / "web").items():
        bad = {m for m in modules if m.split(".")[1:2] and m.split(".")[1] in DOMAINS}
        assert not bad, f"web/{file} imports a domain: {bad}"


def test_domains_never_import_the_app_factory_or_the_cli():
    for domain in DOMAINS:
        if not (PACKAGE / domain).exists():
            continue
        for file, modules in _imports(PACKAGE / domain).items():
            assert not modules & {"openkassa.app", "openkassa.cli"}, f"{file} imports the app or the cli"


def test_fiscal_imports_nothing_of_the_project_but_money():
    if not (PACKAGE / "fiscal").exists():
        return
    for file, modules in _imports(PACKAGE / "fiscal").items():
        bad = {m for m in modules if not m.startswith(("openkassa.fiscal", "openkassa.money"))}
        assert not bad, f"{file} imports {bad}"


def test_the_register_imports_only_fiscal_protocol_money_and_ids():
    if not (PACKAGE / "register").exists():
        return
    allowed = ("openkassa.register", "openkassa.fiscal", "openkassa.protocol", "openkassa.money", "openkassa.ids")
    for file, modules in _imports(PACKAGE / "register").items():
        bad = {m for m in modules if not m.startswith(allowed)}
        assert not bad, f"{file} imports {bad}"


def test_the_protocol_imports_nothing_of_the_project_but_money_and_ids():
    """Both the server and the register read it: it must stand without the server's domains."""
    allowed = ("openkassa.protocol", "openkassa.money", "openkassa.ids")
    for file, modules in _imports(PACKAGE / "protocol").items():
        bad = {m for m in modules if not m.startswith(allowed)}
        assert not bad, f"{file} imports {bad}"


def test_routes_hold_no_queries():
    """Routes translate HTTP and call services; database queries live in service modules."""
    for domain in DOMAINS:
        for name in ("api.py", "views.py", "device_api.py"):
            path = PACKAGE / domain / name
            if path.exists():
                source = path.read_text(encoding="utf-8")
                assert "select(" not in source and "session.execute" not in source, f"{domain}/{name} queries"
