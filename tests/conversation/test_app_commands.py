"""The composition root and the ask / eval / cleanup commands, on real SQLite with a FakeEngine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.admin import FaqEdit
from bot.app import open_app
from bot.cli import main
from bot.commands.ask_cmd import ask_once
from bot.commands.eval_cmd import evaluate_dataset
from bot.config import Settings
from bot.conversation.exchange import Incoming
from bot.conversation.policy import Thresholds
from bot.engine.fake import FakeEngine
from storage.repositories import faq


@pytest.fixture
def lexical_settings(settings: Settings) -> Settings:
    """No embedding model: these tests are about wiring, not retrieval quality."""
    return settings.model_copy(update={"embedding_model": "none"})


async def test_first_start_imports_the_demo_faq_and_answers_shipping(lexical_settings) -> None:
    engine = FakeEngine()
    async with open_app(lexical_settings, engine=engine) as app:
        entries = len(app.catalog.index)
        reply = await app.conversation.handle(Incoming(1, 1, "how long does shipping take?"))
    assert entries >= 20
    assert reply.mode.value == "faq" and "business days" in reply.text
    assert not engine.closed  # the caller's engine stays the caller's
    async with open_app(lexical_settings, engine=engine) as app:  # second start: no re-import
        assert len(app.catalog.index) == entries


async def test_ask_once_returns_the_json_fields(lexical_settings) -> None:
    result = await ask_once(lexical_settings, "Can I pay with PayPal?", engine=FakeEngine())
    assert {"reply", "mode", "faq_ids", "confidence", "latency_ms"} <= result.keys()
    assert result["mode"] == "faq" and "PayPal" in result["reply"] and result["faq_ids"]
    json.dumps(result)


async def test_eval_reports_retrieval_modes_and_answers(lexical_settings, tmp_path: Path) -> None:
    dataset = tmp_path / "dev.json"
    dataset.write_text(
        json.dumps(
            {
                "faq": [
                    {
                        "id": "ship",
                        "question": "How long does shipping take?",
                        "answer": "Orders arrive in 3-5 business days.",
                    },
                    {
                        "id": "pay",
                        "question": "Which payment methods do you accept?",
                        "answer": "Visa, Mastercard and PayPal.",
                    },
                ],
                "queries": [
                    {"query": "shipping time", "faq_id": "ship"},
                    {"query": "can I pay with paypal", "faq_id": "pay"},
                    {"query": "payment methods accepted", "faq_id": "pay"},
                ],
            }
        )
    )
    result = await evaluate_dataset(lexical_settings, dataset, answers=2, engine=FakeEngine())
    assert result["p_at_1"] == 1.0 and result["mrr_at_10"] == 1.0
    assert sum(result["modes"].values()) == 3
    assert result["answers"] == 2 and sum(result["answer_modes"].values()) == 2
    assert result["automation_rate"] == round(result["confident_right"] / 3, 4)
    assert 0.0 <= result["open_world_confident_rate"] <= 1.0
    assert result["latency_p50_ms"] is not None and result["latency_p95_ms"] is not None


def test_cleanup_command_dry_run_and_real_run(
    lexical_settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SUPPORTBOT_DATABASE_URL", lexical_settings.database_url)
    assert main(["cleanup", "--dry-run"]) == 0
    assert "idle sessions would be ended: 0" in capsys.readouterr().out
    assert main(["cleanup"]) == 0
    out = capsys.readouterr().out
    assert "old message texts purged: 0" in out and "database optimized: yes" in out


async def test_an_admin_edit_is_visible_to_the_very_next_customer(lexical_settings) -> None:
    async with open_app(lexical_settings, engine=FakeEngine()) as app:
        before = await app.conversation.handle(Incoming(1, 1, "Can I pay with PayPal?"))
        entry_id = before.faq_ids[0]
        new_answer = "We accept PayPal and cash on delivery only."
        await app.admin.edit_faq(entry_id, FaqEdit(answer=new_answer), author="test")
        after = await app.conversation.handle(Incoming(2, 2, "Can I pay with PayPal?"))
    assert before.text != new_answer
    assert (after.mode.value, after.faq_ids, after.text) == ("faq", [entry_id], new_answer)


async def test_an_admin_system_prompt_reaches_the_model(lexical_settings) -> None:
    engine = FakeEngine()
    async with open_app(lexical_settings, engine=engine) as app:
        app.conversation.limits = Thresholds(confident=1.01, related=0.01)  # always generate
        app.conversation.scorer = None  # no focused sentence rescues the partial match
        app.conversation.compose.lookup.scorer = None
        app.conversation.compose.choice = lambda decision, language: None  # type: ignore[method-assign]
        await app.admin.set_prompt("You work for {{ business_name }}. Be brief.", author="test")
        await app.conversation.handle(Incoming(1, 1, "how long does shipping take?"))
    system = engine.requests[0].messages[0]
    assert system.role == "system"
    # The template comes first; the FAQ entries follow it in the system message.
    assert system.content.startswith("You work for Acme Shop. Be brief.")


async def test_a_chinese_paraphrase_finds_its_entry_through_the_real_catalog(
    lexical_settings,
) -> None:
    async with open_app(lexical_settings, engine=FakeEngine()) as app:
        reply = await app.conversation.handle(Incoming(1, 1, "我想退货，应该怎么做？"))
        async with app.session_factory() as s:
            entry = await faq.get(session=s, entry_id=reply.faq_ids[0])
    assert reply.language == "zh"
    assert entry is not None and entry.language == "zh" and "退货" in entry.question


async def test_the_scheduler_runs_inside_the_app_and_stops_with_it(lexical_settings) -> None:
    async with open_app(lexical_settings, engine=FakeEngine(), start_scheduler=True) as app:
        scheduler = app.scheduler
        assert scheduler is not None and scheduler.running
        assert {job.id for job in scheduler.get_jobs()} == {
            "end_idle",
            "purge",
            "purge_delivered",
            "optimize",
            "docs_sync",  # SUPPORTBOT_DOCS_SYNC_HOURS, on by default
        }
    assert not scheduler.running
