"""Texts only the web chat sends (the notices its menu items answer with), per language.

Answers and the notices every channel shares (welcome, hand-off waiting, agent joined) come
from ``prompts/locales`` through ``bot.conversation.texts``; the widget's own labels (buttons,
menu, placeholders) live in ``static/widget.js`` beside the code that shows them.
"""

from __future__ import annotations

from bot.conversation.texts import normalize_language

WEB_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "handoff_started": (
            "A member of our team will reply here as soon as possible. You can keep this page "
            "open or come back later: the reply will be waiting."
        ),
        "human_already": "You are already waiting for a member of our team; they will reply here.",
        "bot_back": "You are talking to the bot again.",
        "not_with_human": "You are talking to the bot already.",
        "forget_done": (
            "Done. Deleted {messages} messages, {sessions} conversations and {feedback} "
            "feedback ratings. Nothing about you is stored any more."
        ),
        "forget_nothing": "There was nothing stored about you.",
        "feedback_thanks": "Thanks for your feedback!",
        "more_gone": "Sorry, that answer has changed since; please ask again.",
        "choice_gone": "Sorry, that question is no longer available; please ask again.",
    },
    "zh": {
        "handoff_started": (
            "我们的工作人员会尽快在这里回复您。您可以保持此页面打开，或稍后再来查看回复。"
        ),
        "human_already": "您已在等待我们的工作人员，他们会在这里回复您。",
        "bot_back": "您现在重新与机器人对话。",
        "not_with_human": "您已经在与机器人对话。",
        "forget_done": (
            "已完成。删除了 {messages} 条消息、{sessions} 个对话和 {feedback} 条反馈。"
            "我们不再保存任何关于您的信息。"
        ),
        "forget_nothing": "我们没有保存任何关于您的信息。",
        "feedback_thanks": "感谢您的反馈！",
        "more_gone": "抱歉，该回答已更改，请重新提问。",
        "choice_gone": "抱歉，该问题已不可用，请重新提问。",
    },
}


def web_text(key: str, language: str | None, **values: object) -> str:
    """The web chat's text ``key`` in ``language`` (English when there is none)."""
    texts = WEB_TEXTS.get(normalize_language(language) or "en", WEB_TEXTS["en"])
    return texts.get(key, WEB_TEXTS["en"][key]).format(**values)
