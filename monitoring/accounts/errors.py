"""The errors of signing in and of account input: a stable code, a Chinese message, and what the edge needs."""

from __future__ import annotations

from monitoring.errors import ConflictError, InvalidInputError, MonitoringError


class AuthError(MonitoringError):
    """Signing in or renewing failed. `code` is stable (the API's error code); `message` is for the person.

    Codes: invalid_credentials, account_locked, account_disabled, refresh_invalid, refresh_reused,
    invitation_invalid, openid_taken, sms_rate_limited, sms_code_invalid."""

    def __init__(self, code: str, message: str, retry_after_s: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after_s = retry_after_s


class AccountInputError(InvalidInputError):
    """An account field failed validation: `field` names it, `code` is stable, the message is in Chinese."""

    def __init__(self, field: str, message: str, code: str = "invalid_field") -> None:
        super().__init__(message)
        self.field = field
        self.code = code
        self.message = message


class DuplicateError(ConflictError):
    """A user name, phone or WeChat openid already belongs to another account (`field` says which)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.code = "duplicate"
        self.message = message
