"""The remote payload codec of the Temporal Web UI: POST /codec/decode and /codec/encode.

Temporal's protocol: `{"payloads": [{"metadata": {"encoding": "<base64>", ...}, "data": "<base64>"}]}` in,
the same shape out. Only a logged-in Sở Nội vụ administrator or auditor (their session cookie, sent by
the UI with «include cross-origin credentials»); CORS for HOSO_TEMPORAL_UI_ORIGIN. See
docs/data-protection.md and docs/operations.md.
"""
import base64
import functools
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from google.protobuf.json_format import ParseDict, ParseError
from temporalio.api.common.v1 import Payloads

from api.deps import StateDep, current_viewer
from core import crypto
from core.config import Settings
from core.logging import log
from core.temporal import EncryptionCodec
from services import permissions
from services.errors import DomainError
from services.scope import Viewer

router = APIRouter(prefix="/codec", include_in_schema=False)
CORS_HEADERS = {"Access-Control-Allow-Methods": "POST, OPTIONS",
                "Access-Control-Allow-Headers": "Content-Type, X-Namespace, Authorization",
                "Access-Control-Allow-Credentials": "true", "Access-Control-Max-Age": "600", "Vary": "Origin"}


@functools.wraps(current_viewer)
async def codec_viewer(**dependencies) -> Viewer | DomainError:
    """api.deps.current_viewer for these POSTs, which change nothing (the read-only auditor may call them), with
    a refusal returned rather than raised so that it can carry the CORS headers."""
    request: Request = dependencies["request"]
    dependencies["request"] = Request({**request.scope, "method": "GET"}, request.receive)
    try:
        return await current_viewer(**dependencies)
    except DomainError as refusal:
        return refusal


CodecViewer = Annotated[Viewer | DomainError, Depends(codec_viewer)]


def allowed_origins(settings: Settings) -> set[str]:
    """HOSO_TEMPORAL_UI_ORIGIN (comma-separated); in development also the embedded Temporal UI."""
    origins = {o.strip().rstrip("/") for o in (settings.temporal_ui_origin or "").split(",") if o.strip()}
    if not settings.is_prod:
        origins |= {f"http://127.0.0.1:{settings.temporal_ui_port}", f"http://localhost:{settings.temporal_ui_port}"}
    return origins


def _cors(request: Request, settings: Settings) -> dict[str, str]:
    origin = request.headers.get("origin")
    if origin and origin.rstrip("/") in allowed_origins(settings):
        return {"Access-Control-Allow-Origin": origin, **CORS_HEADERS}
    return {}


def install(app, settings: Settings) -> None:
    """Make the key ring of these settings the process's (a bad key fails the start) and add the routes."""
    crypto.configure(settings)
    app.include_router(router)


@router.options("/{operation}")
async def preflight(operation: str, request: Request, state: StateDep) -> Response:
    headers = _cors(request, state.settings)
    return Response(status_code=204 if headers else 403, headers=headers)


@router.post("/{operation}")
async def run_codec(operation: str, request: Request, viewer: CodecViewer, state: StateDep) -> Response:
    headers = _cors(request, state.settings)
    if isinstance(viewer, DomainError):
        return JSONResponse({"detail": viewer.message, "code": viewer.code}, status_code=viewer.status,
                            headers=headers)
    if not permissions.may(viewer, permissions.USES_TEMPORAL_CODEC):
        return JSONResponse({"detail": "Chỉ quản trị Sở Nội vụ và thanh tra được giải mã dữ liệu Temporal.",
                             "code": "forbidden"}, status_code=403, headers=headers)
    if operation not in ("encode", "decode"):
        return JSONResponse({"detail": "Không tìm thấy địa chỉ này.", "code": "not_found"}, status_code=404,
                            headers=headers)
    try:
        body = await request.json()
        payloads = ParseDict({"payloads": body.get("payloads") or []}, Payloads()).payloads
    except (ValueError, ParseError, AttributeError, TypeError):
        return JSONResponse({"detail": "Dữ liệu phải có dạng {\"payloads\": [{\"metadata\": {...}, \"data\": ...}]}.",
                             "code": "invalid_payloads"}, status_code=400, headers=headers)
    codec = EncryptionCodec(crypto.keyring())
    try:
        result = await (codec.encode(payloads) if operation == "encode" else codec.decode(payloads))
    except crypto.KeyUnavailable as err:
        return JSONResponse({"detail": str(err), "code": "key_unavailable"}, status_code=422, headers=headers)
    log.info(f"codec.{operation}", user=viewer.username, payloads=len(result))
    return JSONResponse({"payloads": [_as_json(payload) for payload in result]}, headers=headers)


def _as_json(payload) -> dict:
    """A payload in the protocol's JSON (proto3 JSON: bytes as base64), `data` present even when empty."""
    return {"metadata": {k: base64.b64encode(v).decode() for k, v in payload.metadata.items()},
            "data": base64.b64encode(payload.data).decode()}
