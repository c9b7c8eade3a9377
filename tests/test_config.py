"""Settings: parsing, validation errors as one line, masked printing."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.commands.config_cmd import masked
from bot.config import ConfigError, Settings, load_settings


def test_defaults_and_comma_separated_admins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPPORTBOT_ADMIN_IDS", "12, 34,56")
    monkeypatch.setenv("SUPPORTBOT_LOG_LEVEL", "debug")
    settings = load_settings(_env_file=None)
    assert settings.admin_ids == [12, 34, 56]
    assert settings.log_level == "DEBUG"
    assert settings.model == "smollm2-135m"
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert not settings.is_remote_model


def test_secrets_are_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPPORTBOT_TELEGRAM_TOKEN", "123456:ABCDEF-secret-token-XYZW")
    shown = masked(load_settings(_env_file=None))
    assert shown["SUPPORTBOT_TELEGRAM_TOKEN"] == "****XYZW"
    assert "secret" not in " ".join(shown.values())


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("SUPPORTBOT_DATABASE_URL", "nonsense", "SUPPORTBOT_DATABASE_URL: not a database URL"),
        ("SUPPORTBOT_ADMIN_IDS", "12,bob", "SUPPORTBOT_ADMIN_IDS"),
        ("SUPPORTBOT_SESSION_TTL_MINUTES", "0", "SUPPORTBOT_SESSION_TTL_MINUTES"),
        ("SUPPORTBOT_LOG_LEVEL", "loud", "SUPPORTBOT_LOG_LEVEL"),
        ("SUPPORTBOT_MODEL_DTYPE", "int3", "SUPPORTBOT_MODEL_DTYPE"),
    ],
)
def test_invalid_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        load_settings(_env_file=None)
    message = str(caught.value)
    assert message.startswith(expected)
    assert "\n" not in message


def test_unwritable_database_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file, not a folder")
    monkeypatch.setenv("SUPPORTBOT_DATABASE_URL", f"sqlite+aiosqlite:///{blocked}/sub/bot.db")
    with pytest.raises(ConfigError, match=r"SUPPORTBOT_DATABASE_URL: .*not a folder"):
        load_settings(_env_file=None)


def test_env_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("SUPPORTBOT_BUSINESS_NAME=Kiosk 24\nSUPPORTBOT_SUPPORT_CHAT_ID=-1001\n")
    settings = Settings(_env_file=env_file)  # type: ignore[call-arg]
    assert (settings.business_name, settings.support_chat_id) == ("Kiosk 24", -1001)


@pytest.mark.parametrize(
    ("url", "secret", "expected"),
    [
        ("https://bot.example.com/hook", None, "SUPPORTBOT_WEBHOOK_SECRET: required"),
        ("https://bot.example.com/hook", "has spaces!", "SUPPORTBOT_WEBHOOK_SECRET: 1-256"),
        ("http://bot.example.com/hook", "s3cret", "SUPPORTBOT_WEBHOOK_URL: Telegram only"),
    ],
)
def test_webhook_settings_are_checked_together(
    monkeypatch: pytest.MonkeyPatch, url: str, secret: str | None, expected: str
) -> None:
    monkeypatch.setenv("SUPPORTBOT_WEBHOOK_URL", url)
    if secret is not None:
        monkeypatch.setenv("SUPPORTBOT_WEBHOOK_SECRET", secret)
    with pytest.raises(ConfigError) as caught:
        load_settings(_env_file=None)
    assert str(caught.value).startswith(expected)
    assert secret is None or secret not in str(caught.value)


def test_plain_http_webhook_only_with_a_self_hosted_bot_api(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SUPPORTBOT_WEBHOOK_URL", "http://10.0.0.5:8081/hook")
    monkeypatch.setenv("SUPPORTBOT_WEBHOOK_SECRET", "s3cret_token-1")
    with pytest.raises(ConfigError, match="Telegram only calls https://"):
        load_settings(_env_file=None)  # Telegram's own api.telegram.org
    monkeypatch.setenv("SUPPORTBOT_TELEGRAM_BASE_URL", "http://127.0.0.1:8081/bot")
    assert load_settings(_env_file=None).webhook_url == "http://10.0.0.5:8081/hook"
    monkeypatch.setenv("SUPPORTBOT_WEBHOOK_URL", "ftp://10.0.0.5/hook")
    with pytest.raises(ConfigError, match="must start with http:// or https://"):
        load_settings(_env_file=None)


def test_webhook_with_secret_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPPORTBOT_WEBHOOK_URL", "https://bot.example.com/hook")
    monkeypatch.setenv("SUPPORTBOT_WEBHOOK_SECRET", "s3cret_token-1")
    settings = load_settings(_env_file=None)
    assert settings.webhook_secret is not None
    assert settings.webhook_secret.get_secret_value() == "s3cret_token-1"
