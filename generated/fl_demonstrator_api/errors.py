"""Contains shared errors types that can be raised from API functions"""


class UnexpectedStatus(Exception):
    """Raised by api functions when the response status an undocumented status and Client.raise_on_unexpected_status is True"""

    def __init__(self, status_code: int, content: bytes):
        self.status_code = status_code
        self.content = content

        super().__init__(
            f"Unexpected status code: {status_code}\n\nResponse content:\n{content.decode(errors='ignore')}"
        )


class UnexpectedContent(Exception):
    """Raised by api functions when a documented status comes with a body that is not the documented
    content (not JSON, or JSON of another shape): an HTML page from a proxy, a wrong route, a binary
    answer. Carries the status, the Content-Type and the raw bytes."""

    def __init__(
        self, status_code: int, content: bytes, content_type: str | None = None
    ):
        self.status_code = status_code
        self.content = content
        self.content_type = content_type

        super().__init__(
            f"Status code {status_code} with a body that is not the documented content "
            f"(Content-Type {content_type or 'not given'}, {len(content)} bytes)"
        )


__all__ = ["UnexpectedContent", "UnexpectedStatus"]
