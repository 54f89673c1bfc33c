"""What every response carries and what no request may exceed, as pure ASGI middlewares (nothing buffered, no
extra task): security headers (a strict Content-Security-Policy, no framing, no sniffing, same-origin
referrers), and a body limit answered before the body is read. `install` registers them and the
`Retry-After` header of a delayed login."""

from fastapi import FastAPI, Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.config import Settings
from services.auth import LoginDelayed
from services.errors import DomainError

# The pages load only their own stylesheet and scripts (ui/static): no inline script or style, no CDN.
PAGE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
            "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
# FastAPI's /docs and /redoc pages load Swagger UI / ReDoc from jsDelivr and start them with an inline script.
DOCS_CSP = ("default-src 'none'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
            "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
            "font-src 'self' https://fonts.gstatic.com; img-src 'self' data: https://fastapi.tiangolo.com "
            "https://cdn.redoc.ly; worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; "
            "base-uri 'none'; form-action 'self'")
HEADERS = [(b"x-frame-options", b"DENY"), (b"x-content-type-options", b"nosniff"),
           (b"referrer-policy", b"same-origin")]
HSTS = (b"strict-transport-security", b"max-age=31536000")
# A multipart upload carries the file plus its part headers and the form's other fields.
MULTIPART_MARGIN = 1024 * 1024


class SecurityHeaders:
    """Adds the security headers to every HTTP response (a header the app set itself is kept)."""

    def __init__(self, app: ASGIApp, *, docs_paths: frozenset[str] = frozenset(), hsts: bool = False):
        self.app = app
        self.docs_paths = docs_paths
        self.headers = HEADERS + ([HSTS] if hsts else [])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = DOCS_CSP if scope.get("path") in self.docs_paths else PAGE_CSP
        extra = [(b"content-security-policy", csp.encode()), *self.headers]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in extra if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class _BodyTooLarge(Exception):
    """Raised by the receive channel once the body passes the limit: the app stops reading it."""


class BodyLimit:
    """413 for a body over `max_bytes`: at once, without reading it, when Content-Length says so; as soon as the
    limit is passed for a chunked (or lying) body, whose reading then stops. The app's own answer to the
    interrupted read is replaced by the 413."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, file_limit: int):
        self.app = app
        self.max_bytes = max_bytes
        self.message = (f"Dữ liệu gửi lên quá lớn: mỗi tệp đính kèm tối đa {_megabytes(file_limit)}. "
                        "Vui lòng chọn tệp nhỏ hơn.")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self.refuse(scope, receive, send)
            return
        received, over, started = 0, False, False

        async def limited_receive() -> Message:
            nonlocal received, over
            if over:
                raise _BodyTooLarge
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    over = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if over and not started:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not over or started:
                raise
        if over and not started:
            await self.refuse(scope, receive, send)

    async def refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = {"Connection": "close"}  # the rest of the body is never read: this connection is done
        response: Response
        if scope.get("path", "").startswith("/api"):
            response = JSONResponse({"detail": self.message, "code": "payload_too_large"}, status_code=413,
                                    headers=headers)
        else:
            response = HTMLResponse(_PAGE.format(message=self.message), status_code=413, headers=headers)
        await response(scope, receive, send)


_PAGE = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Dữ liệu quá lớn — Hồ sơ CBCCVC</title><link rel="stylesheet" href="/static/app.css"></head>
<body><main class="wrap"><section class="panel narrow error-panel"><h1>Dữ liệu quá lớn</h1>
<p class="notice notice-error" role="alert">{message}</p><p><a href="/">Về hộp việc</a></p></section></main></body>
</html>"""


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.10g} MB"


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _retry_after(request: Request, err: Exception) -> Response:
    """A delayed login answers like any refusal, plus `Retry-After`."""
    response = await request.app.exception_handlers[DomainError](request, err)
    response.headers["Retry-After"] = str(err.retry_after)
    return response


def install(app: FastAPI, settings: Settings) -> None:
    """The body limit (the attachment limit plus multipart overhead) inside the security headers, so a 413
    carries them too; both outside everything the app adds before this call."""
    app.add_middleware(BodyLimit, max_bytes=settings.attachment_max_bytes + MULTIPART_MARGIN,
                       file_limit=settings.attachment_max_bytes)
    docs = frozenset(p for p in (app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url) if p)
    app.add_middleware(SecurityHeaders, docs_paths=docs, hsts=settings.is_prod)
    app.add_exception_handler(LoginDelayed, _retry_after)
