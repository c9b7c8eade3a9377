"""Texts only the Telegram channel needs (buttons, confirmations, admin replies), per language.

The customer-facing texts shared by every channel (greeting, help, hand-off notices) come from
``prompts/locales`` through ``bot.conversation.texts``; these are the Telegram-only ones. Admin
replies are English: admins are staff, and their commands are English words anyway.
"""

from __future__ import annotations

from bot.conversation.texts import normalize_language

CHANNEL_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "examples_header": "You can ask, for example:",
        "button_human": "🙋 Talk to a person",
        "button_yes_delete": "Yes, delete everything",
        "button_cancel": "Cancel",
        "forget_confirm": (
            "This deletes everything we stored about you: your messages, conversations and "
            "feedback. It cannot be undone. Continue?"
        ),
        "forget_done": (
            "Done. Deleted {messages} messages, {sessions} conversations and {feedback} "
            "feedback ratings. Nothing about you is stored any more."
        ),
        "forget_nothing": "There was nothing stored about you.",
        "forget_cancelled": "Nothing was deleted.",
        "language_choose": "Choose your language:",
        "human_already": "You are already waiting for a member of our team; they will reply here.",
        "feedback_sorry": "Sorry this didn't help. Would you like to talk to a person?",
        "bot_back": "You are talking to the bot again.",
        "not_with_human": "You are talking to the bot already.",
        "apology_shutdown": (
            "Sorry, I'm restarting right now. Your message is kept: I'll answer it as soon as "
            "I'm back."
        ),
        "apology_late": (
            "Sorry, we could not answer your message in time: “{question}”. If it still "
            "matters, please ask again, or talk to a person."
        ),
        "no_support_chat": "Sorry, no one from our team can be reached here right now.",
        "cmd_start": "Start and see example questions",
        "cmd_help": "How to use this bot",
        "cmd_reset": "Start a new conversation",
        "cmd_human": "Talk to a person",
        "cmd_language": "Change the language",
        "cmd_forget": "Delete everything stored about me",
    },
    "zh": {
        "examples_header": "例如，您可以问：",
        "button_human": "🙋 联系人工客服",
        "button_yes_delete": "是的，全部删除",
        "button_cancel": "取消",
        "forget_confirm": (
            "这将删除我们保存的关于您的所有内容：消息、对话和反馈。此操作无法撤销。是否继续？"
        ),
        "forget_done": (
            "已完成。删除了 {messages} 条消息、{sessions} 个对话和 {feedback} 条反馈。"
            "我们不再保存任何关于您的信息。"
        ),
        "forget_nothing": "我们没有保存任何关于您的信息。",
        "forget_cancelled": "没有删除任何内容。",
        "language_choose": "请选择语言：",
        "human_already": "您已在等待人工客服，他们会在这里回复您。",
        "feedback_sorry": "抱歉没能帮到您。需要联系人工客服吗？",
        "bot_back": "您现在又在与机器人对话了。",
        "not_with_human": "您正在与机器人对话。",
        "apology_shutdown": "抱歉，系统正在重启。您的消息已保存，恢复后我会立即回复。",
        "apology_late": (
            "抱歉，我们未能及时回复您的消息：“{question}”。如仍需帮助，请再问一次，或联系人工客服。"
        ),
        "no_support_chat": "抱歉，目前无法联系到我们的客服人员。",
        "cmd_start": "开始并查看示例问题",
        "cmd_help": "使用说明",
        "cmd_reset": "开始新的对话",
        "cmd_human": "联系人工客服",
        "cmd_language": "更改语言",
        "cmd_forget": "删除关于我的所有数据",
    },
}
LANGUAGE_NAMES = {"en": "English", "zh": "中文"}


def channel_text(key: str, language: str | None, **params: object) -> str:
    """A Telegram-only text in ``language`` (English when missing), placeholders filled."""
    lang = normalize_language(language) or "en"
    template = CHANNEL_TEXTS.get(lang, {}).get(key) or CHANNEL_TEXTS["en"][key]
    return template.format(**params) if params else template
