from relay_sync import RelayClient

client = RelayClient(contexts=["office"])  # credentials from the SIGNALWIRE_* variables


@client.on_call
def handle(call):
    call.answer()
    menu = call.prompt_tts(
        "Press 1 for sales, 2 for support.", {"digits": {"max": 1, "digit_timeout": 5.0}}
    )
    result = menu.wait().params.get("result", {})
    if result.get("params", {}).get("digits") == "1":
        line = call.device["params"]["to_number"]
        call.connect(
            [[{"type": "phone", "params": {"to_number": "+15552002000", "from_number": line}}]]
        )
    else:
        call.play_tts("Thanks for calling. Goodbye!").wait()
        call.hangup()


client.run()  # handlers run on a pool of worker threads; Ctrl+C stops gracefully
