"""The engine benchmark's prompts come from the product: the app's retrieval, policy and focus.

Lexical retrieval (``embedding_model: none``) keeps it fast; the bench itself runs the same code
in a child process with the configured encoders.
"""

from __future__ import annotations

from bench.engine_faq import FAQ, QUESTIONS
from bench.engine_workloads import _product_support, support_prompts
from bot.config import Settings
from bot.prompting.builder import DEFAULT_LAYOUT


def test_support_prompts_carry_the_entries_the_app_would_pass(settings: Settings) -> None:
    lexical = settings.model_copy(update={"embedding_model": "none"})
    prompts, entries = _product_support(lexical, len(QUESTIONS), DEFAULT_LAYOUT)
    fixed = support_prompts(len(QUESTIONS))
    assert len(prompts) == len(entries) == len(QUESTIONS)
    assert all(0 <= n <= 3 for n in entries) and sum(entries) < 3 * len(QUESTIONS)
    for (question, *_), prompt, old in zip(QUESTIONS, prompts, fixed, strict=True):
        assert prompt[0].content.startswith(old[0].content.split("FAQ entries:")[0])
        assert prompt[-1].content == f"Customer question: {question}"
    # retrieval puts the answering entry first for many questions, even lexically (9 of 16)
    firsts = [p[0].content.partition("[1] Q: ")[2].split("\n")[0] for p in prompts]
    found = sum(first == FAQ[q[1]][0] for first, q in zip(firsts, QUESTIONS, strict=True))
    assert found >= 6
    total = sum(len(p[0].content) for p in prompts)
    assert total < sum(len(p[0].content) for p in fixed)
