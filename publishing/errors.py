"""What can go wrong when posting for a person, in words the use cases can act on."""

from __future__ import annotations


class PublishError(Exception):
    """The network did not take the post."""


class AuthExpired(PublishError):
    """The network no longer accepts the stored token: the person must connect again."""


class NetworkBusy(PublishError):
    """The network was overloaded or unreachable, also after retrying: try again later.

    `ambiguous` when the request may have reached the network (no answer in time, the
    connection dropped mid-way): a post may then exist although nothing confirmed it.
    """

    def __init__(self, reason: str, *, ambiguous: bool = False) -> None:
        super().__init__(reason)
        self.ambiguous = ambiguous


class PostRefused(PublishError):
    """The network refused the post itself (a 4xx other than authentication)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail
