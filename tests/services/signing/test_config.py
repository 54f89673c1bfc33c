"""signer_from_config: the three kinds, and clear errors for bad configs (no token or service needed)."""
import pytest

from services.signing import (
    CscSigner, Pkcs11Signer, Pkcs12Signer, SigningConfigError, SigningError, sign_pdf, signer_from_config,
)


def test_unknown_kind():
    with pytest.raises(SigningConfigError, match="unknown signer kind 'smartcard'.*pkcs12, pkcs11, csc"):
        signer_from_config({"kind": "smartcard"})
    with pytest.raises(SigningConfigError, match="unknown signer kind"):
        signer_from_config({})


def test_pkcs12(tmp_path, monkeypatch):
    signer = signer_from_config({"kind": "pkcs12", "path": str(tmp_path / "a.p12"), "passphrase": "demo",
                                 "name": "Nguyễn Văn An"})
    assert isinstance(signer, Pkcs12Signer) and signer.passphrase == b"demo" and signer.name == "Nguyễn Văn An"
    monkeypatch.setenv("HOSO_TEST_P12_PASS", "bí mật")
    signer = signer_from_config({"kind": "PKCS12", "path": str(tmp_path / "b.p12"),
                                 "passphrase_env": "HOSO_TEST_P12_PASS"})
    assert signer.passphrase == "bí mật".encode() and signer.name == "b"
    with pytest.raises(SigningConfigError, match="missing required key.*path"):
        signer_from_config({"kind": "pkcs12"})
    with pytest.raises(SigningConfigError, match="HOSO_TEST_UNSET"):
        signer_from_config({"kind": "pkcs12", "path": "x.p12", "passphrase_env": "HOSO_TEST_UNSET"})


def test_pkcs11_is_lazy_and_checks_keys(tmp_path):
    config = {"kind": "pkcs11", "lib": str(tmp_path / "libvendor-pkcs11.so"), "token_label": "VNPT-CA",
              "key_label": "signing", "pin": "123456", "name": "Trần Thị Bình"}
    signer = signer_from_config(config)  # nothing is loaded yet: the library does not even exist
    assert isinstance(signer, Pkcs11Signer) and signer.cert_label == "signing"
    with pytest.raises(SigningError, match="python-pkcs11|PKCS#11 library not found"):
        signer.pyhanko_signer()
    for missing in ("lib", "key_label"):
        with pytest.raises(SigningConfigError, match=f"missing required key.*{missing}"):
            signer_from_config({k: v for k, v in config.items() if k != missing})
    with pytest.raises(SigningConfigError, match="token_label"):
        signer_from_config({k: v for k, v in config.items() if k != "token_label"})
    assert signer_from_config(dict(config, token_label=None, slot_no=0)).slot_no == 0


def test_csc_is_lazy_and_checks_keys(cv_pdf):
    config = {"kind": "csc", "service_url": "https://ky-so.example.vn/", "credential_id": "cred-1",
              "auth_token": "tok", "pin": "1234"}
    signer = signer_from_config(config)
    assert isinstance(signer, CscSigner) and signer.service_url == "https://ky-so.example.vn"
    with pytest.raises(SigningError, match="session"):
        signer.pyhanko_signer()
    for missing in ("service_url", "credential_id", "auth_token"):
        with pytest.raises(SigningConfigError, match=f"missing required key.*{missing}"):
            signer_from_config({k: v for k, v in config.items() if k != missing})
    with pytest.raises(SigningConfigError, match="http"):
        signer_from_config(dict(config, service_url="ky-so.example.vn"))


def test_csc_unreachable_service_is_a_signing_error(cv_pdf):
    signer = signer_from_config({"kind": "csc", "service_url": "http://127.0.0.1:9", "credential_id": "c",
                                 "auth_token": "t", "timeout": 5})
    with pytest.raises(SigningError, match="Credential info request failed"):
        sign_pdf(cv_pdf, signer, field_name="X", reason="x")
