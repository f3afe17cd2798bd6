"""What can go wrong when posting for a person, in words the use cases can act on."""

from __future__ import annotations


class PublishError(Exception):
    """The network did not take the post."""


class AuthExpired(PublishError):
    """The network no longer accepts the stored token: the person must connect again."""


class NetworkBusy(PublishError):
    """The network was overloaded or unreachable, also after retrying: try again later."""


class PostRefused(PublishError):
    """The network refused the post itself (a 4xx other than authentication)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail
