"""Small talk and "give me a person" detection, English and Chinese, without any model.

A message is small talk only when it is *nothing but* a greeting, thanks or goodbye ("hi!",
"thanks a lot", "谢谢您"): "hi, how long does shipping take?" is a question and goes to
retrieval. Requests for a human ("can I talk to a real person", "转人工") are detected the same
cheap way, so that they never depend on retrieval or the model.
"""

from __future__ import annotations

import re
from enum import StrEnum


class Smalltalk(StrEnum):
    GREETING = "greeting"
    THANKS = "thanks"
    BYE = "bye"


def _phrases(text: str) -> tuple[str, ...]:
    """Phrases separated by "|" (several words per phrase are allowed)."""
    return tuple(phrase.strip() for phrase in text.split("|") if phrase.strip())


# Phrases are matched on normalised text (lowercase, punctuation and emoji removed, single
# spaces); longer phrases are tried first so "thank you" wins over "thank".
_PHRASES: dict[Smalltalk, tuple[str, ...]] = {
    Smalltalk.GREETING: _phrases(
        "good morning|good afternoon|good evening|hello|hallo|hi|hey|hiya|howdy|greetings|yo"
        "|how are you|how are you doing|whats up|what's up|sup"
        "|你好|您好|你们好|大家好|早上好|上午好|下午好|晚上好|嗨|哈喽|在吗|在不在|有人吗|喂"
    ),
    Smalltalk.THANKS: _phrases(
        "thank you|thanks|thank|thx|ty|cheers|much appreciated|appreciate it|i appreciate it"
        "|great|perfect|awesome|ok thanks|got it|that helps|that helped|helpful|very helpful"
        "|谢谢|多谢|感谢|谢啦|太好了|好的谢谢|明白了|知道了"
    ),
    Smalltalk.BYE: _phrases(
        "goodbye|good bye|bye|bye bye|see you|see ya|see you later|have a nice day"
        "|have a good day|good night|take care|再见|拜拜|回见|晚安"
    ),
}

# Words that may accompany small talk without making it a question.
_FILLER = frozenset(
    _phrases(
        "a|so|very|much|lot|lots|again|there|all|you|bot|guys|team|everyone|friend|for|your"
        "|help|the|ok|okay|oh|and|really|too|well|dear|sir|madam|assistant"
        "|您|你|啊|呀|哦|嗯|了|啦|哈|的|很|非常|好|们|帮助|帮忙|你的|您的"
    )
)

_HUMAN_PATTERNS = (
    r"\b(talk|speak|chat)\w*\b.*\b(human|person|agent|someone|somebody|people|operator|"
    r"representative|rep|staff|manager|real)\b",
    r"\b(real|live|actual)\s+(person|human|agent|people)\b",
    r"\b(human|live)\s+(agent|support|operator|being)\b",
    r"\b(customer\s+service\s+(agent|representative|rep))\b",
    r"^\s*(agent|human|operator|representative|/human)\s*[.!?]*\s*$",
    r"\b(connect|transfer|put)\s+me\s+(to|through|with)\b",
    r"转人工|人工客服|人工服务|找人工|真人|客服人员|联系客服|转接客服|我要人工|接人工",
)
_HUMAN_RE = re.compile("|".join(f"(?:{p})" for p in _HUMAN_PATTERNS), re.IGNORECASE)
# A question *about* when people are there ("周六有人工客服吗？", "are live agents there on
# Sundays?") asks for the opening hours, not for a person now.
_WHEN_RE = re.compile(
    r"\b(when|what time|hours|weekends?|holidays?|mondays?|tuesdays?|wednesdays?"
    r"|thursdays?|fridays?|saturdays?|sundays?)\b"
    r"|周[一二三四五六日末]|星期|礼拜|几点|什么时候|时间|上班|下班|节假日|假期",
    re.IGNORECASE,
)
_NON_WORD = re.compile(r"[^\w\s']+", re.UNICODE)
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
MAX_SMALLTALK_CHARS = 60


def _normalise(text: str) -> str:
    text = _NON_WORD.sub(" ", text.casefold().replace("’", "'"))
    # Separate Chinese characters from Latin words so "hi你好" splits cleanly.
    text = _HAN.sub(lambda m: f" {m.group()} ", text)
    return " ".join(text.split())


def _join_han(text: str) -> str:
    """Undo the per-character spacing of Chinese for phrase matching ("你 好" -> "你好")."""
    return re.sub(r"(?<=[\u3400-\u9fff]) (?=[\u3400-\u9fff])", "", text)


def detect_smalltalk(text: str) -> Smalltalk | None:
    """The kind of small talk ``text`` is, or None when it asks or says anything else."""
    if len(text) > MAX_SMALLTALK_CHARS:
        return None
    remaining = f" {_join_han(_normalise(text))} "
    if not remaining.strip():
        return None
    found: list[tuple[int, Smalltalk]] = []
    phrases = sorted(
        ((phrase, kind) for kind, items in _PHRASES.items() for phrase in items),
        key=lambda item: -len(item[0]),
    )
    for phrase, kind in phrases:
        pattern = f" {phrase} " if phrase.isascii() else phrase
        position = remaining.find(pattern)
        if position >= 0:
            found.append((position, kind))
            remaining = remaining.replace(pattern, " ")
    if not found:
        return None
    leftover = [
        word for word in _normalise(remaining).split() if word not in _FILLER and not word.isdigit()
    ]
    if leftover:
        return None
    # "hi, thanks!" -> thanks; "thanks, bye" -> bye: the last intent is what to answer.
    kinds = {kind for _, kind in found}
    for kind in (Smalltalk.BYE, Smalltalk.THANKS, Smalltalk.GREETING):
        if kind in kinds:
            return kind
    return None


def wants_human(text: str) -> bool:
    """True when the customer asks for a person instead of the bot (not when they ask when
    people are available: that is a question for the FAQ)."""
    return bool(_HUMAN_RE.search(text)) and not _WHEN_RE.search(text)
