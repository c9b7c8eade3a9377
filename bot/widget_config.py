"""The web chat's settings (``SUPPORTBOT_WIDGET_*``), mixed into ``bot.config.Settings``.

They live in a module of their own only because ``config.py`` is at the 300-line limit; they
are read, validated and shown (``supportbot config``) exactly like every other setting.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import NoDecode


class WidgetSettings(BaseModel):
    """Where the widget is served, which sites may embed it, and its two keys."""

    widget_port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description="Port of the web chat (widget.js and its API); unset: none.",
    )
    widget_listen: str = Field(
        "127.0.0.1",
        description="Address the web chat binds (put the shop's HTTPS proxy before it).",
    )
    widget_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated origins allowed to embed the chat, e.g. https://shop.example.",
    )
    widget_secret: SecretStr | None = Field(
        None, description="Key signing visitor tokens; unset: generated into the data dir."
    )
    widget_secret_file: Path = Field(
        Path("./data/widget.key"), description="Where the generated visitor-token key is kept."
    )
    widget_identity_secret: SecretStr | None = Field(
        None, description="Secret shared with the shop's backend to sign logged-in customer ids."
    )

    @field_validator("widget_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [p.strip().rstrip("/") for p in value.replace(";", ",").split(",") if p.strip()]
        return value

    @field_validator("widget_secret", "widget_identity_secret")
    @classmethod
    def _check_secret(cls, value: SecretStr | None) -> SecretStr | None:
        """A short key would let anyone forge a visitor's or a customer's identity."""
        if value is None or not value.get_secret_value():
            return None
        if len(value.get_secret_value()) < 32:
            raise ValueError("at least 32 random characters (e.g. `openssl rand -hex 32`)")
        return value
