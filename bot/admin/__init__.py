"""Admin use cases, shared by every admin way in (Telegram commands, the CLI, the web console).

- ``service``: ``AdminService``: FAQ and prompt edits (each a revision with its author),
  reports, the unanswered-questions list;
- ``faq_views``: the FAQ values those use cases take and return (``FaqEdit``,
  ``FaqEntryView``, ``FaqPage``, ``FieldChange``), so admin ways in never import storage;
- ``unanswered``: grouping of similar unanswered questions so a topic is fixed once.
"""

from bot.admin.faq_views import FaqEdit, FaqEntryView, FaqPage, FieldChange, diff_entry
from bot.admin.service import AdminError, AdminService
from bot.admin.unanswered import QuestionGroup, group_questions

__all__ = [
    "AdminError",
    "AdminService",
    "FaqEdit",
    "FaqEntryView",
    "FaqPage",
    "FieldChange",
    "QuestionGroup",
    "diff_entry",
    "group_questions",
]
