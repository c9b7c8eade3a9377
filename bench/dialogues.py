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
``followup_accuracy``, ``first_turn_accuracy``, ``confident_turns`` (answered in mode faq) with
``confident_wrong`` and ``confident_precision``, the accuracy on the follow-ups marked
``depends`` (those that cannot be understood alone), and on the turns marked ``switch`` (a
complete question on a new subject right after an answered one): ``switch_accuracy`` and
``switch_false_confident``, a switch answered confidently (mode faq) with an entry an earlier
turn of the same conversation was answered with, i.e. the old topic stated as fact. Each switch
message is also asked by a new customer: ``switch_answered_as_asked_first`` counts the switches
answered exactly so (entry and mode), and a missed switch says ``same_when_asked_first`` (true:
the miss is retrieval's on the message itself, not the conversation's). Every rate comes with
its counts. Deterministic: one run is enough. ``--failures`` lists every wrong turn
(expected, got, mode, confidence, the reply's start), the quickest way to see *why* a figure is
what it is.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bench.temporary_app import temporary_app
from bot.app import App
from bot.config import PROJECT_ROOT, load_settings
from bot.conversation.exchange import AnswerMode, Incoming, Reply
from storage.repositories import faq

DEFAULT_FILE = PROJECT_ROOT / "bench" / "data" / "dialogues.yaml"
CHANNEL = "bench"
NONE = "none"
FRESH_CUSTOMERS = 1_000_000  # ids of the customers asking a switch's message alone
ANSWER_MODES = {AnswerMode.FAQ, AnswerMode.GENERATED, AnswerMode.FALLBACK}
KINDS = ("first", "followup", "depends", "none", "switch", "switch_to_entry", "switch_outside")
CONFIDENT = "confident"  # turns answered in mode faq: right / all of them
TARGETS = {
    "followup_accuracy": 0.90,
    "first_turn_accuracy": 0.95,
    "switch_accuracy": 0.95,
    "switch_false_confident": 0,
}


@dataclass(frozen=True, slots=True)
class Step:
    """One customer message with its label, or a /reset (``say`` is None)."""

    say: str | None
    expect: str = NONE
    depends: bool = False
    switch: bool = False


@dataclass(frozen=True, slots=True)
class Dialogue:
    id: str
    steps: tuple[Step, ...]


@dataclass(slots=True)
class Tally:
    """Right / total per kind of turn, the switches stated from the old topic, the misses."""

    counts: dict[str, list[int]] = field(
        default_factory=lambda: {k: [0, 0] for k in (*KINDS, CONFIDENT)}
    )
    false_confident: list[dict[str, Any]] = field(default_factory=list)
    misses: list[dict[str, Any]] = field(default_factory=list)
    as_alone: int = 0  # switch turns answered exactly as the message asked first
    fresh_customers: int = 0

    def add(self, step: Step, position: int, right: bool) -> None:
        kinds = ["first" if position == 0 else "followup"]
        kinds += ["depends"] * step.depends + ["none"] * (step.expect == NONE)
        if step.switch:
            kinds += ["switch", "switch_outside" if step.expect == NONE else "switch_to_entry"]
        for kind in kinds:
            self.counts[kind][0] += right
            self.counts[kind][1] += 1

    def rate(self, kind: str) -> float:
        return rate(*self.counts[kind])


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
            steps.append(
                Step(
                    str(turn["say"]),
                    str(turn["expect"]),
                    bool(turn.get("depends")),
                    bool(turn.get("switch")),
                )
            )
        if steps and steps[0].switch:
            raise ValueError(f"{item.get('id')}: a first turn cannot be a switch")
        dialogues.append(Dialogue(str(item["id"]), tuple(steps)))
    return dialogues


def answered_entry(reply: Reply, external_ids: dict[int, str]) -> str:
    """The entry id that answered (``none`` when no entry was sent as the answer)."""
    if reply.mode not in ANSWER_MODES or not reply.faq_ids:
        return NONE
    return external_ids.get(reply.faq_ids[0], f"#{reply.faq_ids[0]}")


def rate(right: int, total: int) -> float:
    return round(right / total, 3) if total else 0.0


def miss_of(dialogue: Dialogue, step: Step, position: int, got: str, reply: Reply) -> dict:
    return {
        "dialogue": dialogue.id,
        "say": step.say,
        "expect": step.expect,
        "got": got,
        "mode": reply.mode.value,
        "confidence": round(reply.confidence, 3),
        "turn": position + 1,
        "reply": reply.text[:100],
    }


async def play_one(
    app: App,
    number: int,
    dialogue: Dialogue,
    external_ids: dict[int, str],
    tally: Tally,
    show: bool,
) -> None:
    """One customer's conversation, each turn counted into ``tally``."""
    position = 0
    earlier: set[str] = set()  # entries answered since the conversation (re)started
    for step in dialogue.steps:
        if step.say is None:
            await app.conversation.accounts.reset(CHANNEL, number, number)
            earlier.clear()
            continue
        reply = await app.conversation.handle(Incoming(number, number, step.say, channel=CHANNEL))
        got = answered_entry(reply, external_ids)
        right = got == step.expect
        tally.add(step, position, right)
        if reply.mode is AnswerMode.FAQ:
            tally.counts[CONFIDENT][0] += right
            tally.counts[CONFIDENT][1] += 1
        if step.switch:
            alone = await ask_alone(app, step.say, tally)
            same = (answered_entry(alone, external_ids), alone.mode) == (got, reply.mode)
            tally.as_alone += same
        if not right:
            tally.misses.append(miss_of(dialogue, step, position, got, reply))
            if step.switch:
                tally.misses[-1]["same_when_asked_first"] = same
            stale = got in earlier and reply.mode is AnswerMode.FAQ
            if step.switch and stale:
                tally.false_confident.append(tally.misses[-1])
        if show:
            mark = "ok " if right else "BAD"
            print(
                f"{mark} {dialogue.id}: {step.say!r} -> {got} [{reply.mode} {reply.confidence:.3f}]"
            )
            print(f"      {reply.text[:160]!r}")
        if got != NONE:
            earlier.add(got)
        position += 1


async def ask_alone(app: App, text: str, tally: Tally) -> Reply:
    """``text`` from a customer who never wrote before (what a switch should be answered)."""
    tally.fresh_customers += 1
    customer = FRESH_CUSTOMERS + tally.fresh_customers
    return await app.conversation.handle(Incoming(customer, customer, text, channel=CHANNEL))


async def play(path: Path, show: bool) -> dict[str, Any]:
    dialogues = load_dialogues(path)
    settings = load_settings()
    tally = Tally()
    async with temporary_app(settings, prefix="supportbot-dialogues-") as app:
        async with app.session_factory() as session:
            entries = await faq.list_entries(session=session)
        external_ids = {e.id: e.external_id or str(e.id) for e in entries}
        labels = {s.expect for d in dialogues for s in d.steps if s.say is not None}
        unknown = labels - {NONE} - set(external_ids.values())
        if unknown:
            raise ValueError(f"labels that are no entry of the demo FAQ: {sorted(unknown)}")
        for number, dialogue in enumerate(dialogues, start=1):
            await play_one(app, number, dialogue, external_ids, tally, show)
    return summary(len(dialogues), tally)


def summary(dialogues: int, tally: Tally) -> dict[str, Any]:
    """The figures (counts beside every rate) and the misses."""
    counts = tally.counts
    switches = counts["switch"][1]
    return {
        "dialogues": dialogues,
        "turns": counts["first"][1] + counts["followup"][1],
        "first_turns": counts["first"][1],
        "first_turns_right": counts["first"][0],
        "first_turn_accuracy": tally.rate("first"),
        "followup_turns": counts["followup"][1],
        "followup_right": counts["followup"][0],
        "followup_accuracy": tally.rate("followup"),
        "dependent_turns": counts["depends"][1],
        "dependent_right": counts["depends"][0],
        "dependent_accuracy": tally.rate("depends"),
        "none_turns": counts["none"][1],
        "none_right": counts["none"][0],
        "none_accuracy": tally.rate("none"),
        "confident_turns": counts[CONFIDENT][1],
        "confident_wrong": counts[CONFIDENT][1] - counts[CONFIDENT][0],
        "confident_precision": tally.rate(CONFIDENT),
        "switch_turns": switches,
        "switch_right": counts["switch"][0],
        "switch_accuracy": tally.rate("switch"),
        "switch_to_entry_turns": counts["switch_to_entry"][1],
        "switch_to_entry_accuracy": tally.rate("switch_to_entry"),
        "switch_outside_turns": counts["switch_outside"][1],
        "switch_outside_accuracy": tally.rate("switch_outside"),
        "switch_answered_as_asked_first": tally.as_alone,
        "switch_false_confident": len(tally.false_confident),
        "switch_false_confident_rate": rate(len(tally.false_confident), switches),
        "switch_false_confident_dialogues": [miss["dialogue"] for miss in tally.false_confident],
        "targets": TARGETS,
        "misses": tally.misses,
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
