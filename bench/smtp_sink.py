"""A local SMTP sink for the notification bench (bench/notify_bench.py): aiosmtpd on 127.0.0.1
and a port the kernel picks, in a process of its own (so it does not share the bench's GIL).
It prints its port, counts what it accepts, and prints the count when it gets SIGTERM."""

from __future__ import annotations

import signal
import sys
import threading
from typing import Any

from rostra.demo.mail_sink import BoundController


class Counter:
    def __init__(self) -> None:
        self.mails = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        self.mails += 1
        return "250 OK"


def main() -> int:
    counter = Counter()
    controller = BoundController(counter)
    controller.start()
    print(controller.port, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    controller.stop()
    print(counter.mails, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
