"""Settings: the one place where supportbot reads environment variables.

Every setting comes from a ``SUPPORTBOT_*`` variable or an optional ``.env`` file. Settings are
built once at start-up (``load_settings``) and passed down; nothing deeper reads the environment.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.webhook_rules import webhook_problem
from bot.widget_config import WidgetSettings
from storage.db import location_problem

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/supportbot.db"
DEFAULT_TELEGRAM_BASE_URL = "https://api.telegram.org/bot"
ENV_PREFIX = "SUPPORTBOT_"


class UserFacingError(Exception):
    """Something the person running supportbot can fix; printed as one line, no traceback."""

    exit_status = 1


class UsageError(UserFacingError):
    """Bad configuration or arguments (exit status 2)."""

    exit_status = 2


class ConfigError(UsageError):
    """A setting has an invalid value; the message names the variable and what is wrong."""


class Settings(BaseSettings, WidgetSettings):
    """Typed configuration of one supportbot deployment."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
    )

    # --- storage ---------------------------------------------------------------------------
    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        description="SQLAlchemy async URL: a SQLite file by default, or postgresql+asyncpg://…",
    )

    # --- telegram --------------------------------------------------------------------------
    telegram_token: SecretStr | None = Field(
        None, description="Bot token from @BotFather; without it `make run` opens a terminal chat."
    )
    telegram_base_url: str = Field(
        DEFAULT_TELEGRAM_BASE_URL,
        description="Bot API base URL (token and method are appended), for a self-hosted server.",
    )
    admin_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list, description="Comma-separated Telegram user ids allowed to administer."
    )
    support_chat_id: int | None = Field(
        None, description="Telegram chat (a group of agents) that receives hand-offs to humans."
    )
    webhook_url: str | None = Field(
        None, description="Public HTTPS URL for webhook mode; long polling when unset."
    )
    webhook_listen: str = Field("127.0.0.1", description="Address the webhook server binds.")
    webhook_port: int = Field(8443, ge=1, le=65535, description="Port the webhook server binds.")
    webhook_secret: SecretStr | None = Field(
        None, description="Secret token Telegram must send with every webhook request."
    )
    rate_limit_per_minute: int = Field(
        20, ge=1, description="Messages per user per minute before the bot stops calling the model."
    )
    handoff_reply_minutes: int = Field(
        15, ge=1, description="Minutes without an agent reply before the customer is told to wait."
    )

    # --- generation ------------------------------------------------------------------------
    model: str = Field(
        "smollm2-135m",
        description=(
            "smollm2-135m (bundled), a model directory, a .gguf path, a hub id, "
            "or openai:<base_url> for an OpenAI-compatible server."
        ),
    )
    model_dtype: Literal["auto", "bfloat16", "float32", "float16", "int8"] = Field(
        "auto", description="Weights: auto = bfloat16 where the CPU has it natively, else float16."
    )
    model_threads: int | None = Field(None, ge=1, description="torch threads; default: all cores.")
    model_cache_dir: Path = Field(
        Path("./data/models"), description="Where converted models are cached as safetensors."
    )
    engine_max_batch: int = Field(16, ge=1, description="Most requests decoded together.")
    engine_queue_size: int = Field(64, ge=1, description="Waiting requests before EngineBusy.")
    # --- engine prefix cache (issue 13) ---
    engine_cache_mb: float = Field(
        32, ge=0, description="MB of prompt keys/values reused across requests (0: off)."
    )
    max_new_tokens: int = Field(160, ge=1, description="Cap on generated tokens per reply.")
    generation_timeout_seconds: float = Field(
        30.0, gt=0, description="Deadline of one generation; past it the FAQ answer is used."
    )
    openai_model: str = Field(
        "default", description="Model name sent to the OpenAI-compatible API."
    )
    openai_api_key: SecretStr | None = Field(None, description="API key for the remote engine.")

    # --- knowledge -------------------------------------------------------------------------
    embedding_model: str = Field(
        "minilm+e5+mpnet",
        description=(
            "Dense encoders: minilm+e5+mpnet (bundled; e5: non-English; mpnet re-ranks unsure "
            "English), minilm+e5, minilm, e5, none, a dir"
        ),
    )

    # --- conversation ----------------------------------------------------------------------
    business_name: str = Field("Acme Shop", description="Name the bot uses for the business.")
    default_language: str = Field("en", description="Language when none can be detected.")
    prompts_dir: Path = Field(
        PROJECT_ROOT / "prompts", description="Templates, demo FAQ and fixed texts per language."
    )
    session_ttl_minutes: int = Field(
        30, ge=1, description="Idle minutes after which a customer's next message opens a session."
    )

    # --- web console (bot/channels/web) -----------------------------------------------------
    console_port: int | None = Field(
        None, ge=1, le=65535, description="Port of the admin web console; unset: no console."
    )
    console_listen: str = Field(
        "127.0.0.1", description="Address the console binds (reach it by SSH tunnel or a proxy)."
    )
    console_url: str | None = Field(
        None,
        description="Public base URL of the console in login links (https:// behind a proxy).",
    )
    console_secret: SecretStr | None = Field(
        None,
        description="Key signing console cookies and links; unset: generated into the data dir.",
    )
    console_secret_file: Path = Field(
        Path("./data/console.key"), description="Where the generated console key is kept."
    )
    console_link_minutes: int = Field(
        10, ge=1, le=1440, description="Minutes a one-time console login link stays valid."
    )
    console_session_hours: int = Field(
        12, ge=1, le=720, description="Hours a console sign-in lasts before a new link is needed."
    )

    @field_validator("console_secret")
    @classmethod
    def _check_console_secret(cls, value: SecretStr | None) -> SecretStr | None:
        """A short or placeholder key would let anyone forge an admin's session cookie."""
        if value is None or not value.get_secret_value():
            return None
        secret = value.get_secret_value()
        if len(secret) < 32 or secret.lower() in {"changeme", "changethis", "secret"}:
            raise ValueError("at least 32 random characters (e.g. `openssl rand -hex 32`)")
        return value

    @model_validator(mode="after")
    def _check_webhook(self) -> Settings:
        """Webhook settings go together (see ``bot.webhook_rules``)."""
        if self.webhook_url:
            secret = self.webhook_secret.get_secret_value() if self.webhook_secret else ""
            if problem := webhook_problem(self.webhook_url, secret, self.telegram_base_url):
                raise ValueError(problem)
        return self

    @property
    def session_ttl(self) -> timedelta:
        """Idle time after which a customer's next message opens a new session."""
        return timedelta(minutes=self.session_ttl_minutes)

    @property
    def retention(self) -> timedelta:
        """Age after which message texts are purged."""
        return timedelta(days=self.retention_days)

    # --- maintenance -----------------------------------------------------------------------
    retention_days: int = Field(
        90, ge=1, description="Message texts older than this are purged (counts are kept)."
    )
    cleanup_interval_minutes: int = Field(
        10, ge=1, description="How often the scheduler ends idle sessions and purges old texts."
    )
    docs_sync_hours: int = Field(
        24,
        ge=0,
        description="How often every help-centre source is fetched again (0: only by "
        "`supportbot docs sync`).",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        "INFO", description="Logging level."
    )

    # --- operations (health, metrics, logs, fleet) -----------------------------------------
    metrics_port: int | None = Field(
        None, ge=1, le=65535, description="Port of /healthz, /readyz, /metrics; unset: no server."
    )
    metrics_listen: str = Field("127.0.0.1", description="Address the metrics server binds.")
    log_format: Literal["text", "json"] = Field("text", description="json: one object per line.")
    instance_name: str | None = Field(None, description="Name in leases; default hostname:pid.")

    # --- delivery (inbox, outbox, recovery; bot/delivery) ------------------------------------
    recovery_max_age_minutes: int = Field(
        60,
        ge=1,
        description="A stored message older than this gets an apology and a person, not an answer.",
    )
    delivery_workers: int = Field(
        32, ge=1, description="Chats answered at once (each chat strictly in order)."
    )
    delivery_lease_seconds: float = Field(
        120.0, gt=0, description="How long a claimed message stays reserved for one instance."
    )
    send_retry_seconds: float = Field(
        20.0, gt=0, description="How long a reply is retried (429, 5xx, network) before waiting."
    )
    shutdown_grace_seconds: float = Field(
        20.0, ge=0, description="On SIGTERM, how long answers in progress may take to finish."
    )

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_admin_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.replace(";", ",").split(",")]
            return [p for p in parts if p]
        if isinstance(value, int):
            return [value]
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError as exc:
            raise ValueError(
                "not a database URL (expected e.g. sqlite+aiosqlite:///./data/supportbot.db)"
            ) from exc
        if not url.drivername:
            raise ValueError("database URL has no driver")
        problem = location_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("telegram_base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @property
    def is_remote_model(self) -> bool:
        """True when generation is delegated to an OpenAI-compatible server."""
        return self.model.startswith("openai:")


def load_settings(**overrides: object) -> Settings:
    """Build Settings from the environment, turning validation errors into one ConfigError line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        message = first["msg"].removeprefix("Value error, ")
        if not first["loc"]:  # a check across settings names its variables itself
            raise ConfigError(message) from None
        field = str(first["loc"][0])
        raw = first.get("input")
        shown = "" if field.endswith(("token", "key", "secret")) else f" (got {raw!r})"
        raise ConfigError(f"{ENV_PREFIX}{field.upper()}: {message}{shown}") from None
