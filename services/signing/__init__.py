"""Digital signatures on PDFs (PAdES), with pyHanko; independent checks with poppler's pdfsig.

* ``sign_pdf`` adds one PAdES signature (``ETSI.CAdES.detached``, SHA-256) as an incremental
  update: earlier signatures stay valid, each later one covers everything before it.
* ``export_signed_cv`` applies the two signatures an exported record needs to have the legal
  value of the paper original (Quảng Ngãi Đ8.4, Kon Tum Đ9.4, Hải Phòng Đ6.4), in the order of
  Nghị định 30/2020/NĐ-CP Điều 32: the competent person first, the agency (văn thư) after.
* ``validate_pdf`` reports on every embedded signature and never raises for a damaged file.

Where the key lives is a ``Signer``: a PKCS#12 file (default; the development CA in
``services.signing.devca`` issues those), a PKCS#11 token, or a remote service speaking the
Cloud Signature Consortium API. See docs/signing.md.

Modules: ``signers`` (the key backends), ``signing`` (PAdES signing), ``validation``
(pyHanko's and pdfsig's checks), ``devca`` (the development CA). Each sync function has an
``async_`` form for callers inside an event loop.
"""
from services.signing.signers import (
    CscSigner, Pkcs11Signer, Pkcs12Signer, Signer, SigningConfigError, SigningError, signer_from_config,
)
from services.signing.signing import (
    FIELD_AGENCY, FIELD_COMPETENT, ToSign, async_export_signed_cv, async_sign_pdf, export_signed_cv, sign_pdf,
)
from services.signing.validation import (
    PDFSIG_INSTALL_HINT, PdfsigMissing, SignatureReport, async_validate_pdf, load_trust_roots, pdfsig_report,
    validate_pdf,
)

__all__ = [
    "Signer", "Pkcs12Signer", "Pkcs11Signer", "CscSigner", "SignatureReport",
    "SigningError", "SigningConfigError", "PdfsigMissing",
    "signer_from_config", "sign_pdf", "async_sign_pdf", "validate_pdf", "async_validate_pdf",
    "pdfsig_report", "export_signed_cv", "async_export_signed_cv", "load_trust_roots",
    "FIELD_COMPETENT", "FIELD_AGENCY", "PDFSIG_INSTALL_HINT", "ToSign",
]
