"""Take the README's screenshots of the main screens (`make screenshots`).

Serves the app on a free port of 127.0.0.1 with a fresh SQLite database holding the demo
account, signs in with Playwright driving Debian's chromium (never a downloaded browser),
and saves 1280×800 PNGs into docs/screenshots/. The interface is in Russian, the language
the back office opens in.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support import CHROMIUM_ARGS  # noqa: E402 - the browser flags the tests use

OUT = Path(__file__).resolve().parent / "screenshots"
EMAIL, PASSWORD = "demo@example.com", "demo-password"
VIEWPORT = {"width": 1280, "height": 800}


def serve(data_dir: Path):
    """Migrate a fresh database, load the demo account and serve the app; returns (base URL, stop)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    os.environ.update(
        OPENKASSA_DATA_DIR=str(data_dir),
        OPENKASSA_DATABASE_URL=f"sqlite:///{(data_dir / 'openkassa.db').as_posix()}",
        OPENKASSA_BASE_URL=base_url,
        OPENKASSA_RUN_WORKER="false",
        OPENKASSA_ENV="development",
    )
    import uvicorn

    from openkassa import demo
    from openkassa.app import create_app
    from openkassa.config import get_settings
    from openkassa.db import Database
    from openkassa.schema import migrate

    get_settings.cache_clear()
    settings = get_settings()
    migrate(settings.sqlalchemy_url)
    db = Database(settings.sqlalchemy_url)
    demo.create(db, email=EMAIL, password=PASSWORD)

    server = uvicorn.Server(uvicorn.Config(create_app(settings, db), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise SystemExit("screenshots: the server did not start")
        time.sleep(0.05)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
        db.dispose()

    return base_url, stop


def shoot(page, name: str) -> None:
    page.wait_for_load_state("networkidle")  # the point picker arrives by HTMX after load
    path = OUT / f"{name}.png"
    page.screenshot(path=str(path))
    print(f"  {path.relative_to(OUT.parent.parent)}")


def take_screenshots(base_url: str, chromium: str) -> None:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=base_url, viewport=VIEWPORT, locale="ru-RU")
        context.set_default_timeout(15_000)
        page = context.new_page()
        try:
            page.goto("/login")
            shoot(page, "login")

            page.locator("#f-email").fill(EMAIL)
            page.locator("#f-password").fill(PASSWORD)
            page.locator("form[action='/login'] button[type=submit]").click()
            page.wait_for_url("**/points")
            shoot(page, "points")

            # the demo's Kazan shop waits for its first register, so its code is valid
            page.get_by_role("link", name="Магазин в Казани").click()
            page.locator("#activation-code .code-box").wait_for()
            shoot(page, "point")
            kazan = page.url
            code = page.locator("#activation-code .code-box").get_attribute("data-code")

            # a register bound with that code sells, shown as the cashier sees it; then its documents
            register_screenshots(base_url, code, page)
            page.goto(kazan.rstrip("/") + "/documents")
            shoot(page, "documents")

            page.goto("/points")
            page.get_by_role("link", name="Магазин на Тверской").click()
            page.locator("nav.tabs a[href$='/devices']").click()
            page.wait_for_url("**/devices")
            shoot(page, "devices")

            for name in ("cashiers", "products", "team"):
                page.goto(f"/{name}")
                shoot(page, name)

            # the statistics of last month (a full month of the demo's sales), its charts drawn
            page.goto("/stats?period=last_month")
            page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('trend-chart'))")
            page.wait_for_timeout(500)  # the charts' short animation
            shoot(page, "stats")
        finally:
            context.close()
            browser.close()


def register_screenshots(base_url: str, code: str, page) -> None:
    """Bind a register to the Kazan shop, sell there as its cashier, and save the sale screen and the
    printed receipt (Textual's SVG screenshots, drawn as PNG by the same chromium)."""
    import asyncio

    from openkassa.register.app import RegisterApp
    from openkassa.register.sync import Link, bind

    with tempfile.TemporaryDirectory(prefix="openkassa-register-") as folder:
        till = bind(Path(folder), server=base_url, code=code, name="Касса 1")
        try:
            till.sign_in("2222")
            till.open_shift(cash=500_000)

            shots: dict[str, str] = {}

            async def sell() -> None:
                app = RegisterApp(till, width=32)
                async with app.run_test(size=(120, 34)) as pilot:
                    for barcode in ("4600000000022", "4600000000015", "4600000000053", "4600000000022"):
                        for character in barcode:
                            await pilot.press(character)
                        await pilot.press("enter")
                    await pilot.pause(0.3)
                    shots["register"] = app.export_screenshot()
                    await pilot.press("f2", "enter")  # pay: the amount due, in cash
                    await pilot.pause(0.3)
                    shots["register-receipt"] = app.export_screenshot()

            # Playwright's synchronous API keeps an event loop in this thread: the app runs in another.
            worker = threading.Thread(target=lambda: asyncio.run(sell()))
            worker.start()
            worker.join()
            for name, svg in shots.items():
                _svg_shot(page, svg, name)
            Link(till).step()
        finally:
            till.close()


def _svg_shot(page, svg: str, name: str) -> None:
    """A Textual screenshot (SVG) drawn by the browser and saved as PNG."""
    page.set_content(f"<html><body style='margin:0;background:#0c0c0c'>{svg}</body></html>")
    path = OUT / f"{name}.png"
    page.locator("svg").first.screenshot(path=str(path))
    print(f"  {path.relative_to(OUT.parent.parent)}")


def main() -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("screenshots: Debian's chromium is needed: apt-get install chromium")
    with tempfile.TemporaryDirectory(prefix="openkassa-screenshots-") as tmp:
        base_url, stop = serve(Path(tmp))
        try:
            print(f"Screenshots of {base_url}:")
            take_screenshots(base_url, chromium)
        finally:
            stop()


if __name__ == "__main__":
    sys.exit(main())
