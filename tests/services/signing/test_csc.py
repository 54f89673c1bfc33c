"""CscSigner against a small in-process CSC API v1 service (credentials/info, credentials/authorize,
signatures/signHash) that signs with a development-CA key: the remote-signing path end to end."""
import asyncio
import base64
import threading

import pytest
from aiohttp import web
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, utils
from cryptography.hazmat.primitives.serialization import pkcs12

from services.signing import SigningError, sign_pdf, signer_from_config, validate_pdf
from services.signing import devca

TOKEN, PIN, SAD = "bearer-thu", "1234", "sad-thu"


def csc_app(key, chain, calls: list[str]) -> web.Application:
    def authorized(request):
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            raise web.HTTPUnauthorized()

    async def info(request):
        authorized(request)
        calls.append("credentials/info")
        return web.json_response({
            "cert": {"certificates": [base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode()
                                      for c in chain]},
            "key": {"algo": ["1.2.840.113549.1.1.11", "1.2.840.113549.1.1.1"], "len": 2048},
            "multisign": 1, "SCAL": "1",
        })

    async def authorize(request):
        authorized(request)
        body = await request.json()
        calls.append("credentials/authorize")
        if body.get("PIN") != PIN:
            raise web.HTTPBadRequest(text="invalid PIN")
        return web.json_response({"SAD": SAD, "expiresIn": 300})

    async def sign_hash(request):
        authorized(request)
        body = await request.json()
        calls.append("signatures/signHash")
        if body["SAD"] != SAD:
            raise web.HTTPBadRequest(text="invalid SAD")
        sigs = [base64.b64encode(key.sign(base64.b64decode(h), padding.PKCS1v15(),
                                          utils.Prehashed(hashes.SHA256()))).decode() for h in body["hash"]]
        return web.json_response({"signatures": sigs})

    app = web.Application()
    app.router.add_post("/csc/v1/credentials/info", info)
    app.router.add_post("/csc/v1/credentials/authorize", authorize)
    app.router.add_post("/csc/v1/signatures/signHash", sign_hash)
    return app


@pytest.fixture(scope="module")
def csc_service(ca_dir, ca_cert):
    path = devca.ensure_user_credential(ca_dir, "ky.tu.xa", "Phạm Văn Dũng", title="Phó Giám đốc")
    loaded = pkcs12.load_pkcs12(path.read_bytes(), b"demo")
    calls: list[str] = []
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    state = {}

    async def start():
        runner = web.AppRunner(csc_app(loaded.key, [loaded.cert.certificate, ca_cert], calls))
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        state["runner"], state["port"] = runner, site._server.sockets[0].getsockname()[1]
        ready.set()

    thread = threading.Thread(target=lambda: (loop.run_until_complete(start()), loop.run_forever()), daemon=True)
    thread.start()
    assert ready.wait(10)
    yield f"http://127.0.0.1:{state['port']}", calls
    asyncio.run_coroutine_threadsafe(state["runner"].cleanup(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


def test_csc_signing_with_pin(csc_service, cv_pdf, ca_cert):
    url, calls = csc_service
    calls.clear()
    signer = signer_from_config({"kind": "csc", "service_url": url, "credential_id": "cred-1",
                                 "auth_token": TOKEN, "pin": PIN, "name": "Phạm Văn Dũng"})
    signed = sign_pdf(cv_pdf, signer, field_name="NguoiCoThamQuyen", reason="Ký từ xa")
    [report] = validate_pdf(signed, trust_roots=[ca_cert])
    assert report.signer_name == "Phạm Văn Dũng"
    assert report.intact and report.valid and report.trusted
    assert calls == ["credentials/info", "credentials/authorize", "signatures/signHash"]


def test_csc_signing_with_prefetched_sad(csc_service, cv_pdf, ca_cert):
    url, calls = csc_service
    calls.clear()
    signer = signer_from_config({"kind": "csc", "service_url": url, "credential_id": "cred-1",
                                 "auth_token": TOKEN, "sad": SAD})
    [report] = validate_pdf(sign_pdf(cv_pdf, signer, field_name="X", reason="x"), trust_roots=[ca_cert])
    assert report.intact and report.valid and report.trusted
    assert calls == ["credentials/info", "signatures/signHash"]


def test_csc_wrong_pin(csc_service, cv_pdf):
    url, _ = csc_service
    signer = signer_from_config({"kind": "csc", "service_url": url, "credential_id": "cred-1",
                                 "auth_token": TOKEN, "pin": "0000"})
    with pytest.raises(SigningError, match="credentials/authorize failed"):
        sign_pdf(cv_pdf, signer, field_name="X", reason="x")
