"""Multi-turn accuracy: does the right FAQ entry answer each turn of a conversation?

    python -m bench.dialogues [--file bench/data/dialogues.yaml] [--json] [--show] [--failures]

Opens the whole app on a temporary SQLite file (database migrated, demo FAQ imported, the
embedding model loaded; no generation model: which *entry* answers is what is measured, and
partial matches then fall back to the best entry) and plays every conversation of the dialogue
set through the real ``ConversationService.handle``, one customer per conversation, with
``/reset`` where the set says so.

A turn labelled with an entry id is right when the reply's first FAQ id is that entry (a reply
answering two questions counts its first); a turn labelled ``none`` is right when no entry is
sent as the answer (hand-off, small talk, or a "did you mean" question). A "did you mean" reply
to a labelled turn is counted wrong, even when the right entry is among the choices.

Prints ``turns``, ``followup_turns`` (every turn after a conversation's first),
``followup_accuracy``, ``first_turn_accuracy``, and the accuracy on the follow-ups marked
``depends`` (those that cannot be understood alone). Deterministic: one run is enough.
``--failures`` lists every wrong turn (expected, got, mode, confidence, the reply's start), the
quickest way to see *why* a figure is what it is.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.app import open_app
from bot.config import PROJECT_ROOT, load_settings
from bot.conversation.exchange import AnswerMode, Incoming, Reply
from storage.repositories import faq

DEFAULT_FILE = PROJECT_ROOT / "bench" / "data" / "dialogues.yaml"
CHANNEL = "bench"
NONE = "none"
ANSWER_MODES = {AnswerMode.FAQ, AnswerMode.GENERATED, AnswerMode.FALLBACK}


@dataclass(frozen=True, slots=True)
class Step:
    """One customer message with its label, or a /reset (``say`` is None)."""

    say: str | None
    expect: str = NONE
    depends: bool = False


@dataclass(frozen=True, slots=True)
class Dialogue:
    id: str
    steps: tuple[Step, ...]


def load_dialogues(path: Path) -> list[Dialogue]:
    """The dialogue set; raises ValueError naming a malformed conversation."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    dialogues = []
    for item in data.get("dialogues", []):
        steps = []
        for turn in item["turns"]:
            if turn.get("reset"):
                steps.append(Step(None))
                continue
            if "say" not in turn or "expect" not in turn:
                raise ValueError(f"{item.get('id')}: every turn needs 'say' and 'expect'")
            steps.append(Step(str(turn["say"]), str(turn["expect"]), bool(turn.get("depends"))))
        dialogues.append(Dialogue(str(item["id"]), tuple(steps)))
    return dialogues


def answered_entry(reply: Reply, external_ids: dict[int, str]) -> str:
    """The entry id that answered (``none`` when no entry was sent as the answer)."""
    if reply.mode not in ANSWER_MODES or not reply.faq_ids:
        return NONE
    return external_ids.get(reply.faq_ids[0], f"#{reply.faq_ids[0]}")


def rate(right: int, total: int) -> float:
    return round(right / total, 3) if total else 0.0


async def play(path: Path, show: bool) -> dict[str, Any]:
    dialogues = load_dialogues(path)
    settings = load_settings()
    with tempfile.TemporaryDirectory(prefix="supportbot-dialogues-") as folder:
        settings = settings.model_copy(
            update={"database_url": f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"}
        )
        async with open_app(settings, load_model=False) as app:
            async with app.session_factory() as session:
                entries = await faq.list_entries(session=session)
            external_ids = {e.id: e.external_id or str(e.id) for e in entries}
            unknown = {
                s.expect
                for d in dialogues
                for s in d.steps
                if s.say is not None and s.expect != NONE
            } - set(external_ids.values())
            if unknown:
                raise ValueError(f"labels that are no entry of the demo FAQ: {sorted(unknown)}")
            counts = {key: [0, 0] for key in ("first", "followup", "depends", "none")}
            misses: list[dict[str, str]] = []
            for number, dialogue in enumerate(dialogues, start=1):
                position = 0
                for step in dialogue.steps:
                    if step.say is None:
                        await app.conversation.accounts.reset(CHANNEL, number, number)
                        continue
                    reply = await app.conversation.handle(
                        Incoming(number, number, step.say, channel=CHANNEL)
                    )
                    got = answered_entry(reply, external_ids)
                    right = got == step.expect
                    kinds = ["first" if position == 0 else "followup"]
                    kinds += ["depends"] * step.depends + ["none"] * (step.expect == NONE)
                    for kind in kinds:
                        counts[kind][0] += right
                        counts[kind][1] += 1
                    if not right:
                        misses.append(
                            {
                                "dialogue": dialogue.id,
                                "say": step.say,
                                "expect": step.expect,
                                "got": got,
                                "mode": reply.mode.value,
                                "confidence": round(reply.confidence, 3),
                                "turn": position + 1,
                                "reply": reply.text[:100],
                            }
                        )
                    if show:
                        mark = "ok " if right else "BAD"
                        how = f"[{reply.mode} {reply.confidence:.3f}]"
                        print(f"{mark} {dialogue.id}: {step.say!r} -> {got} {how}")
                        print(f"      {reply.text[:160]!r}")
                    position += 1
    total = sum(counts[k][1] for k in ("first", "followup"))
    return {
        "dialogues": len(dialogues),
        "turns": total,
        "first_turns": counts["first"][1],
        "first_turn_accuracy": rate(*counts["first"]),
        "followup_turns": counts["followup"][1],
        "followup_accuracy": rate(*counts["followup"]),
        "dependent_turns": counts["depends"][1],
        "dependent_accuracy": rate(*counts["depends"]),
        "none_turns": counts["none"][1],
        "none_accuracy": rate(*counts["none"]),
        "targets": {"followup_accuracy": 0.90, "first_turn_accuracy": 0.95},
        "misses": misses,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--show", action="store_true", help="print every turn as it is played")
    parser.add_argument(
        "--failures", action="store_true", help="list every wrong turn after the figures"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    result = asyncio.run(play(args.file, args.show))
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        for key, value in result.items():
            if key != "misses":
                print(f"{key}: {value}")
    if args.failures or not args.json:
        print_failures(result["misses"])


def print_failures(misses: list[dict[str, Any]]) -> None:
    """One block per wrong turn: where, what was said, expected vs got, how it was answered."""
    print(f"failures: {len(misses)}")
    for miss in misses:
        print(
            f"  {miss['dialogue']} turn {miss['turn']}: {miss['say']!r}\n"
            f"      expected {miss['expect']}, got {miss['got']} "
            f"(mode {miss['mode']}, confidence {miss['confidence']}) {miss['reply']!r}"
        )


if __name__ == "__main__":
    main()
