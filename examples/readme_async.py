from relay_anyio import RelayClient

client = RelayClient(contexts=["office"])  # credentials from the SIGNALWIRE_* variables


@client.on_call
async def handle(call):
    await call.answer()
    menu = await call.prompt_tts(
        "Press 1 for sales, 2 for support.", {"digits": {"max": 1, "digit_timeout": 5.0}}
    )
    result = (await menu.wait()).params.get("result", {})
    if result.get("params", {}).get("digits") == "1":
        line = call.device["params"]["to_number"]
        await call.connect(
            [[{"type": "phone", "params": {"to_number": "+15552002000", "from_number": line}}]]
        )
    else:
        await (await call.play_tts("Thanks for calling. Goodbye!")).wait()
        await call.hangup()


client.run()  # asyncio; client.run(backend="trio") for trio
