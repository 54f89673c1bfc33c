class DomainError(Exception):
    """A refusal with a Vietnamese message for the user and a machine code for clients."""

    status = 400
    keep_changes = False  # True: the unit of work commits what was written before the refusal

    def __init__(self, message: str, code: str, *, status: int | None = None, **extra):
        super().__init__(message)
        self.message = message
        self.code = code
        self.extra = extra
        if status is not None:
            self.status = status


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409


class Invalid(DomainError):
    status = 422


class Unavailable(DomainError):
    status = 503
