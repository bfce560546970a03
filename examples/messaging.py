"""Messaging: send an SMS/MMS campaign, and answer the texts that come back.

The application texts a sale announcement (with a picture) to its customers and waits to hear
whether each one was delivered. Meanwhile it answers every inbound text: HOURS and ADDRESS get
an automatic answer, anything else a note that someone will reply.

``setup`` and ``announce`` are what you would write with ``signalwire.relay``: only the import
differs.

``python -m examples.messaging`` runs it against the built-in emulator (one customer's phone is
a landline that cannot take texts; another texts back "hours"). With ``SIGNALWIRE_*`` set it
texts ``RELAY_TO_NUMBER`` from ``RELAY_FROM_NUMBER`` and then answers texts until Ctrl+C.
"""

from __future__ import annotations

import logging

from examples import _harness as harness
from relay_anyio import Message, RelayClient
from relay_anyio.testing import RelayEmulator

log = logging.getLogger(__name__)

FROM = harness.number("RELAY_FROM_NUMBER", harness.LINE)
CUSTOMERS = [harness.number("RELAY_TO_NUMBER", harness.CALLER)]
if not harness.real_space():
    CUSTOMERS.append("+15553005000")  # a landline (emulated)

ANSWERS = {
    "HOURS": "We are open Monday to Friday, 9am to 5pm.",
    "ADDRESS": "Acme, 1 Main Street, Springfield.",
}


def setup(client: RelayClient) -> None:
    """Register the inbound text handler (it replies through ``client``)."""

    @client.on_message
    async def answer(message: Message) -> None:
        log.info("text from %s: %r", message.from_number, message.body)
        keyword = message.body.strip().upper()
        reply = await client.send_message(
            to_number=message.from_number,
            from_number=message.to_number,
            body=ANSWERS.get(keyword, "Thanks! Someone will text you back soon."),
        )
        await reply.wait(timeout=60.0)
        log.info("answer to %s: %s", reply.to_number, reply.state)


async def announce(client: RelayClient) -> None:
    """Text the announcement to every customer and log each outcome."""
    for customer in CUSTOMERS:
        message = await client.send_message(
            to_number=customer,
            from_number=FROM,
            body="The Acme spring sale starts today! Text HOURS for our opening hours.",
            media=["https://example.com/spring-sale.png"],
        )
        await message.wait(timeout=60.0)
        reason = f" ({message.reason})" if message.reason else ""
        log.info("announcement to %s: %s%s", customer, message.state, reason)


# ------------------------------------------------------------------ emulator only: the world


def landline(emu: RelayEmulator) -> None:
    """Texts to the landline are not delivered."""
    emu.message_outcome("+15553005000", "undelivered", "landline")


async def customer_texts_back(emu: RelayEmulator) -> None:
    """Once the announcement reached the customer, they text back "hours"."""
    await emu.wait_for_transcript(f"message to {harness.CALLER} delivered", timeout=None)
    await emu.send_sms(
        context=harness.CONTEXT, from_number=harness.CALLER, to_number=FROM, body="hours"
    )
    await emu.wait_for_transcript("accepted: 'We are open", timeout=None)


def main() -> None:
    """Send and answer texts: emulated ones, or real ones when SIGNALWIRE_* is set."""
    harness.run(
        title="Messaging: an MMS announcement goes out, a customer texts back",
        contexts=[harness.CONTEXT],
        setup=setup,
        program=announce,
        remote=customer_texts_back,
        stage=landline,
        names={"+15553005000": "landline"},
    )


if __name__ == "__main__":
    main()
