"""The development CA: created once, reused, clearly labelled, right key usages."""
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from services.signing import Pkcs12Signer, SigningError
from services.signing import devca


def test_ca_created_once_and_labelled(tmp_path):
    cert, key = devca.ensure_dev_ca(tmp_path)
    assert (tmp_path / "ca.pem").exists() and (tmp_path / "ca-key.pem").exists()
    assert (tmp_path / "ca-key.pem").stat().st_mode & 0o077 == 0
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == devca.DEV_CA_NAME
    assert "KHÔNG dùng cho sản xuất" in devca.DEV_CA_NAME
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    again, _ = devca.ensure_dev_ca(tmp_path)
    assert again.serial_number == cert.serial_number


def test_user_credential(tmp_path):
    path = devca.ensure_user_credential(tmp_path, "an.nguyen", "Nguyễn Văn An", title="Chuyên viên",
                                        unit="UBND xã Tịnh Khê")
    assert path == tmp_path / "users" / "an.nguyen.p12"
    loaded = pkcs12.load_pkcs12(path.read_bytes(), b"demo")
    cert = loaded.cert.certificate
    ca, _ = devca.ensure_dev_ca(tmp_path)
    cert.verify_directly_issued_by(ca)
    assert [c.certificate for c in loaded.additional_certs] == [ca]  # the chain travels with the key
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Nguyễn Văn An"
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "UBND xã Tịnh Khê"
    assert cert.subject.get_attributes_for_oid(NameOID.TITLE)[0].value == "Chuyên viên"
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
    life = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert timedelta(days=3 * 365) <= life <= timedelta(days=3 * 366)
    # issued once
    assert devca.ensure_user_credential(tmp_path, "an.nguyen", "Nguyễn Văn An") == path
    assert pkcs12.load_pkcs12(path.read_bytes(), b"demo").cert.certificate.serial_number == cert.serial_number

    signer = devca.signer_for_user(tmp_path, "an.nguyen")
    assert isinstance(signer, Pkcs12Signer) and signer.name == "Nguyễn Văn An"
    assert signer.certificate == cert


def test_agency_credential_and_bad_names(tmp_path):
    path = devca.ensure_agency_credential(tmp_path, "Sở Nội vụ tỉnh Kon Tum", "SNV-KT")
    assert path == tmp_path / "agencies" / "SNV-KT.p12"
    assert devca.signer_for_agency(tmp_path, "SNV-KT").name == "Sở Nội vụ tỉnh Kon Tum"
    with pytest.raises(ValueError, match="file name"):
        devca.ensure_user_credential(tmp_path, "../evil", "X")
    with pytest.raises(FileNotFoundError, match="ensure_user_credential"):
        devca.signer_for_user(tmp_path, "nobody")


def test_new_ca_reissues_credentials(tmp_path):
    path = devca.ensure_user_credential(tmp_path, "an", "An")
    first = pkcs12.load_pkcs12(path.read_bytes(), b"demo").cert.certificate
    (tmp_path / "ca.pem").unlink()
    (tmp_path / "ca-key.pem").unlink()
    devca.ensure_user_credential(tmp_path, "an", "An")
    second = pkcs12.load_pkcs12(path.read_bytes(), b"demo").cert.certificate
    assert second.serial_number != first.serial_number
    second.verify_directly_issued_by(devca.ensure_dev_ca(tmp_path)[0])


def test_wrong_passphrase_is_a_clear_error(tmp_path):
    path = devca.ensure_user_credential(tmp_path, "an", "An")
    with pytest.raises(SigningError, match="wrong passphrase"):
        Pkcs12Signer(path, b"sai-mat-khau", "An").pyhanko_signer()
    with pytest.raises(SigningError, match="not found"):
        Pkcs12Signer(tmp_path / "missing.p12", b"demo", "An").pyhanko_signer()
