"""Messaging, blocking: ``examples/messaging.py`` on relay_sync.

``python -m examples.messaging_sync`` runs it against the built-in emulator; with
``SIGNALWIRE_*`` set it texts ``RELAY_TO_NUMBER`` from ``RELAY_FROM_NUMBER`` and then answers
texts until Ctrl+C.
"""

from __future__ import annotations

import logging

from examples import _harness as harness
from examples.messaging import ANSWERS, CUSTOMERS, FROM, customer_texts_back, landline
from relay_sync import Message, RelayClient

log = logging.getLogger(__name__)


def setup(client: RelayClient) -> None:
    """Register the inbound text handler (it replies through ``client``)."""

    @client.on_message
    def answer(message: Message) -> None:
        log.info("text from %s: %r", message.from_number, message.body)
        keyword = message.body.strip().upper()
        reply = client.send_message(
            to_number=message.from_number,
            from_number=message.to_number,
            body=ANSWERS.get(keyword, "Thanks! Someone will text you back soon."),
        )
        reply.wait(timeout=60.0)
        log.info("answer to %s: %s", reply.to_number, reply.state)


def announce(client: RelayClient) -> None:
    """Text the announcement to every customer and log each outcome."""
    for customer in CUSTOMERS:
        message = client.send_message(
            to_number=customer,
            from_number=FROM,
            body="The Acme spring sale starts today! Text HOURS for our opening hours.",
            media=["https://example.com/spring-sale.png"],
        )
        message.wait(timeout=60.0)
        reason = f" ({message.reason})" if message.reason else ""
        log.info("announcement to %s: %s%s", customer, message.state, reason)


def main() -> None:
    """Send and answer texts: emulated ones, or real ones when SIGNALWIRE_* is set."""
    harness.run_sync(
        title="Messaging (blocking): an MMS announcement goes out, a customer texts back",
        contexts=[harness.CONTEXT],
        setup=setup,
        program=announce,
        remote=customer_texts_back,
        stage=landline,
        names={"+15553005000": "landline"},
    )


if __name__ == "__main__":
    main()
