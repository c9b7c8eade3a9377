"""What a Chinese question asks, as index terms: its question frame mapped to an intent marker.

Chinese FAQs hold many entries on one topic that differ only in what they ask: "剧烈运动后咯血，
是怎么了？" (the cause), "…应该怎么处理？" (what to do), "…需要就医吗？" (whether it needs a
doctor), "…是否很严重？" (how serious). The words that say which (怎么了, 怎么处理, 需要, 严重)
are question words that a topic-only tokeniser drops as stop words, and paraphrases word them
differently (为什么 / 什么原因 / 怎么回事; 可以 / 能否 / 能不能). So each frame is mapped to one
marker term ("?cause", "?can", ...) that BM25 indexes beside the topic words: a question and
the entry that asks the same thing share it whatever their wording, and an entry with another
intent lacks it (which also raises the unmatched-terms confidence feature).

The lexicon covers question frames that any help desk sees (cause, how, what to do, can / may,
need / must, how long, how much, price, when, where, which / what, difference, effect, harm,
precautions, severity); it works on jieba's words, and on a few two-word frames (什么 + 原因).
"""

from __future__ import annotations

from collections.abc import Sequence

MARKER_PREFIX = "?"  # index_terms() never yields "?" inside a term, so markers cannot collide


def _each(words: str, intent: str) -> dict[str, str]:
    return {word: intent for word in words.split()}


# One jieba word -> its intent. A word listed here that is also a topic word (效果, 副作用) keeps
# its own term too; pure question words (怎么, 可以) are stop words and only leave the marker.
WORD_INTENTS: dict[str, str] = {
    **_each(
        "为什么 为啥 为何 原因 病因 缘故 怎么回事 怎么搞的 咋回事 回事 何故 起因 导致 引起 造成",
        "cause",
    ),
    **_each("怎么 怎样 如何 咋 怎么着 方法 办法 方式 步骤 流程 途径", "how"),
    **_each("怎么办 咋办 如何是好 怎么弄 处理 解决 应对", "handle"),
    **_each("可以 能 能否 可否 能不能 可不可以 可不可 行不行 允许 不能 不可以 可以吗 能吗", "can"),
    **_each("需要 需不需要 要不要 必须 必要 有必要 用不用 得不得", "need"),
    **_each("多久 多长时间 多长 几天 多少天 几个月 多少年 几年 几周", "duration"),
    **_each("多少 几 几次 多大 多重 多高", "amount"),
    **_each("多少钱 价格 价钱 费用 收费 贵 便宜 花费", "price"),
    **_each("何时 几点 哪天", "when"),
    **_each("哪里 哪儿 在哪 在哪里 何处 哪家", "where"),
    **_each("什么 啥 哪些 哪个 哪种 哪一种 何 有何 哪 什么样", "what"),
    **_each("区别 不同 差别 差异 一样 相同 比较 对比", "difference"),
    **_each("效果 疗效 功效 作用 管用 有效 有用 好不好 怎么样 好使 效用", "effect"),
    **_each("副作用 不良反应 危害 坏处 害处 伤害 副反应", "harm"),
    **_each("注意 注意事项 禁忌 忌口 忌 当心 小心", "caution"),
    **_each("严重 严不严重 危险 要紧 不要紧 要命", "severity"),
}

# Two consecutive words that ask something neither asks alone.
PAIR_INTENTS: dict[tuple[str, str], str] = {
    ("什么", "原因"): "cause",
    ("啥", "原因"): "cause",
    ("怎么", "了"): "cause",
    ("咋", "了"): "cause",
    ("要", "不要"): "need",  # jieba cuts 要不要 so
    ("用", "不用"): "need",
    ("什么", "时候"): "when",
    ("啥", "时候"): "when",
    ("什么", "地方"): "where",
}


def marker(intent: str) -> str:
    """The index term of an intent ("?cause")."""
    return MARKER_PREFIX + intent


def intents(words: Sequence[str]) -> list[str]:
    """The intent markers of a question's jieba words, in order, each once.

    A two-word frame wins over its parts: 什么原因 is a cause, not a "what"; 怎么了 a cause,
    not a "how".
    """
    found: list[str] = []
    skip = -1
    for position, word in enumerate(words):
        if position == skip:
            continue
        following = words[position + 1] if position + 1 < len(words) else ""
        pair = PAIR_INTENTS.get((word, following))
        if pair is not None:
            found.append(pair)
            skip = position + 1
            continue
        intent = WORD_INTENTS.get(word)
        if intent is not None:
            found.append(intent)
    return [marker(intent) for intent in dict.fromkeys(found)]
