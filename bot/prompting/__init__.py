"""The prompt: what the model is shown. Pure functions, no I/O beyond reading template files.

- ``builder``: system prompt + history + the customer's question and FAQ entries, within a
  token budget (the layout is decided here);
- ``templates``: the default templates in ``prompts/`` and the validation of an admin's edit.
"""

from bot.prompting.builder import (
    STOP_SEQUENCES,
    SYSTEM_TEMPLATE_NAME,
    BuiltPrompt,
    build_prompt,
    render_system_prompt,
)
from bot.prompting.templates import TEMPLATE_VARIABLES, default_template, validate_template

__all__ = [
    "STOP_SEQUENCES",
    "SYSTEM_TEMPLATE_NAME",
    "TEMPLATE_VARIABLES",
    "BuiltPrompt",
    "build_prompt",
    "default_template",
    "render_system_prompt",
    "validate_template",
]
