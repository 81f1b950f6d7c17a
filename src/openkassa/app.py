"""The application factory: one FastAPI app serving the back office, the JSON API and the device API."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from openkassa import __version__
from openkassa.accounts import api as accounts_api
from openkassa.accounts import views as accounts_views
from openkassa.catalog import api as catalog_api
from openkassa.catalog import import_views as catalog_import_views
from openkassa.catalog import views as catalog_views
from openkassa.config import Settings, get_settings
from openkassa.credentials import views as credentials_views
from openkassa.credentials.scopes import API_KEY_HELP, Scope, document_scopes
from openkassa.db import Database
from openkassa.errors import DomainError, Invalid, NotFound, Unauthorized, message_for
from openkassa.i18n import _, set_language
from openkassa.ids import redact_link_secrets
from openkassa.jobs.service import Worker
from openkassa.onec import views as onec_views
from openkassa.points import api as points_api
from openkassa.points import device_api
from openkassa.points import views as points_views
from openkassa.reports import api as reports_api
from openkassa.reports import device_api as reports_device_api
from openkassa.reports import views as reports_views
from openkassa.sales import device_api as sales_device_api
from openkassa.sales import views as sales_views
from openkassa.shopdocs import api as shopdocs_api
from openkassa.shopdocs import device_api as shopdocs_device_api
from openkassa.stats import api as stats_api
from openkassa.stats import views as stats_views
from openkassa.stock import api as stock_api
from openkassa.stock import device_api as stock_device_api
from openkassa.stock import views as stock_views
from openkassa.web import flash
from openkassa.web.security import CSRF_COOKIE, csrf_token_for, language_for
from openkassa.web.templating import STATIC_DIR, is_htmx, render

log = logging.getLogger(__name__)

API_DESCRIPTION = f"""The back office's JSON API (`/api/v1`) and the registers' device API (`/api/device/v1`).

## Authentication

**Programs: an API key.** {API_KEY_HELP}

```
curl -H "Authorization: Bearer ok_live_…" https://your-server/api/v1/points
```

Scopes: {", ".join(f"`{scope.value}`" for scope in Scope)}. GET needs a domain's `…:read`, changes its
`…:write`; the statistics need `sales:read`, the reports `reports`; the points, devices and cashiers
are read by any key. Users, the plan and the keys themselves are managed by people only.

**People and scripts of our pages:** the session cookie, with the `X-CSRF-Token` header on changes;
or HTTP Basic with the e-mail and password.

Errors have one shape: `{{"error": {{"code", "message", "fields"}}}}`.
"""


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error_response(request: Request, error: DomainError, headers: dict[str, str] | None = None):
    if shopdocs_api.serves(request.url.path):  # the ModulKassa-compatible API keeps its own error shape
        return shopdocs_api.error_response(request, error, headers)
    if _wants_json(request):
        headers = dict(headers or {})
        if isinstance(error, Unauthorized) and request.url.path.startswith("/api/v1"):
            bearer = request.headers.get("Authorization", "").lower().startswith("bearer ")
            headers["WWW-Authenticate"] = 'Bearer realm="OpenKassa"' if bearer else 'Basic realm="OpenKassa"'
        if getattr(error, "retry_after", None):
            headers["Retry-After"] = str(error.retry_after)
        return JSONResponse(error.as_json(), status_code=error.status, headers=headers)
    if isinstance(error, Unauthorized):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        login = f"/login?next={quote(target)}"
        if is_htmx(request):  # a fragment request must move the whole page, not swap the form in
            return Response(status_code=401, headers={"HX-Redirect": login})
        return RedirectResponse(login, status_code=303)
    return render(request, "error.html", status_code=error.status, error=error)


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    db = db or Database(settings.sqlalchemy_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        worker = Worker(db, settings) if settings.run_worker else None
        if worker:
            worker.start()
        yield
        if worker:
            worker.stop()

    app = FastAPI(
        title="OpenKassa",
        description=API_DESCRIPTION,
        version=__version__,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = db

    @app.middleware("http")
    async def language_csrf_and_flash(request: Request, call_next):
        set_language(language_for(request))
        if shopdocs_api.serves(request.url.path):  # shops' programs: no pages, no cookies, hundreds a second
            return await call_next(request)
        token, is_new = csrf_token_for(request)
        request.state.csrf_token = token
        response = await call_next(request)
        rotated = any(k == b"set-cookie" and v.startswith(CSRF_COOKIE.encode() + b"=") for k, v in response.raw_headers)
        if is_new and not rotated:
            response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="lax", secure=settings.cookie_secure)
        flash.store(request, response)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, error: DomainError):
        return _error_response(request, error)

    @app.exception_handler(RequestValidationError)
    async def request_invalid(request: Request, error: RequestValidationError):
        fields: dict[str, str] = {}
        for item in error.errors():
            loc = [str(p) for p in item["loc"] if p not in ("body", "query", "path", "header")]
            fields.setdefault(".".join(loc) or "__all__", message_for(item))
        if any(item["loc"][:1] == ("path",) for item in error.errors()):
            return _error_response(request, NotFound())  # /points/not-an-id names nothing that exists
        return _error_response(request, Invalid(fields=fields))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException):
        if error.status_code == 404:
            return _error_response(request, NotFound())
        problem = DomainError(str(error.detail))
        problem.status, problem.code = error.status_code, "http_error"
        return _error_response(request, problem, headers=error.headers)

    @app.exception_handler(Exception)
    async def server_error(request: Request, error: Exception):
        log.exception("unhandled error on %s %s", request.method, redact_link_secrets(request.url.path))
        problem = DomainError(_("Something went wrong on our side. We have logged it; please try again."))
        problem.status, problem.code = 500, "server_error"
        return _error_response(request, problem)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict:
        return {"status": "ok"}

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for router in (
        shopdocs_api.router,  # first: the shops' hot path (~500 documents/s) matches without walking the rest
        accounts_views.router,
        points_views.router,
        # before the catalog's pages: /products/{product_id} would take /products/import and the like
        catalog_import_views.upload_router,
        catalog_import_views.router,
        onec_views.upload_router,
        onec_views.router,
        onec_views.exchange_router,
        catalog_views.router,
        accounts_api.router,
        points_api.router,
        catalog_api.router,
        device_api.router,
        sales_device_api.router,
        sales_views.router,
        stats_views.router,
        stats_api.router,
        reports_views.router,
        reports_api.router,
        reports_device_api.router,
        stock_views.router,
        stock_api.router,
        stock_device_api.router,
        shopdocs_device_api.router,
        credentials_views.router,
    ):
        app.include_router(router)

    def openapi() -> dict:
        if app.openapi_schema is None:
            document_scopes(FastAPI.openapi(app), app.routes)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app

