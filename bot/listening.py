"""The error raised when one of the bot's HTTP listeners cannot bind its address."""

from __future__ import annotations


class ListenError(Exception):
    """Raised when a listener cannot bind its address and port, such as a port in use.

    `setting` is the variable that sets the port, so that the message names what to change.
    """

    def __init__(self, purpose: str, setting: str, host: str, port: int, error: OSError) -> None:
        reason = error.strerror or str(error)
        super().__init__(f"Could not listen on {host} port {port} for the {purpose}: {reason}")
        self.purpose = purpose
        self.setting = setting
        self.host = host
        self.port = port
