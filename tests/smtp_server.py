"""A real SMTP server for tests (aiosmtpd), on a free local port, in a thread of the test
process: what a worker in another process sends over the network, the test reads here."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Received:
    recipients: tuple[str, ...]
    message: Message


@dataclass
class RecordingHandler:
    """Accepts every message; ``delay`` seconds pass between taking a message in and
    answering 250, so a client can be stopped while its message is in flight."""

    delay: float = 0.0
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content
        with self.lock:
            self.received.append(
                Received(tuple(envelope.rcpt_tos), message_from_bytes(bytes(content)))
            )
        if self.delay:
            await asyncio.sleep(self.delay)
        return "250 Message accepted for delivery"

    def count(self) -> int:
        with self.lock:
            return len(self.received)

    def per_recipient(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        with self.lock:
            for item in self.received:
                for address in item.recipients:
                    counts[address] = counts.get(address, 0) + 1
        return counts


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class SMTPServer:
    handler: RecordingHandler
    port: int

    @property
    def url(self) -> str:
        """The server as ``EMAIL_URL`` names it."""
        return f"smtp://127.0.0.1:{self.port}"


def running_smtp_server() -> Iterator[SMTPServer]:
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SMTPServer(handler, port)
    finally:
        controller.stop()
