"""Errors that end a command with one clear line instead of a traceback."""

from __future__ import annotations


class UserFacingError(Exception):
    """Something the person running supportbot can fix; printed as one line."""

    exit_status = 1


class UsageError(UserFacingError):
    """Bad configuration or arguments (exit status 2)."""

    exit_status = 2
