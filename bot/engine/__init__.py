"""Text generation: the ``GenerationEngine`` seam, its fake, and ``load_engine``.

Only this package imports torch and transformers, and only lazily: importing ``bot.engine``
is cheap; ``load_engine`` pulls in the local or remote backend that Settings ask for.
"""

from bot.engine.base import (
    ChatMessage,
    EngineBusy,
    EngineError,
    EngineUnavailable,
    FinishReason,
    Generation,
    GenerationEngine,
    GenerationRequest,
    Role,
    TextCallback,
)
from bot.engine.factory import load_engine
from bot.engine.fake import FakeEngine

__all__ = [
    "ChatMessage",
    "EngineBusy",
    "EngineError",
    "EngineUnavailable",
    "FakeEngine",
    "FinishReason",
    "Generation",
    "GenerationEngine",
    "GenerationRequest",
    "Role",
    "TextCallback",
    "load_engine",
]
