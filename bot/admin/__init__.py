"""Admin use cases, shared by every admin way in (Telegram commands, the CLI, the web console).

- ``service``: ``AdminService``: FAQ and prompt edits (each a revision with its author),
  reports, the unanswered-questions list;
- ``unanswered``: grouping of similar unanswered questions so a topic is fixed once.
"""

from bot.admin.service import AdminError, AdminService, FaqPage, FieldChange, diff_entry
from bot.admin.unanswered import QuestionGroup, group_questions

__all__ = [
    "AdminError",
    "AdminService",
    "FaqPage",
    "FieldChange",
    "QuestionGroup",
    "diff_entry",
    "group_questions",
]
