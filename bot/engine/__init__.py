"""Text generation: the ``GenerationEngine`` base class, its fake, and ``load_engine``.

Start reading at ``base`` (the seam and its types), then ``registry`` (how ``SUPPORTBOT_MODEL``
picks an engine). ``remote`` is the OpenAI-compatible engine. ``local`` is the batching engine
over a transformers model: its ``worker`` thread plans steps with ``prefill`` and runs them on
``packed_llama`` (weights from ``llama_layers``, caches in ``kv_cache`` and ``prefix_cache``,
then ``sampling`` and ``text_stream``); ``model_source`` and ``loading`` find and load the model.
Only this package imports torch and transformers, and only lazily: importing ``bot.engine`` is
cheap; ``load_engine`` pulls in the backend that Settings ask for.
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
from bot.engine.fake import FakeEngine
from bot.engine.registry import load_engine, register_engine

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
    "register_engine",
]
