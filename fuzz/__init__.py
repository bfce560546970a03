"""Fuzzing harnesses for the relay_proto core (see fuzz/README.md).

The modules here are shared by the coverage-guided entry point (``fuzz/run_atheris.py``) and by
the short hypothesis run in the test suite (``tests/proto/test_fuzz_properties.py``):

* :mod:`fuzz.wsframes`: RFC 6455 frame encoding, so fuzzed text reaches the JSON-RPC layer
  inside *valid* WebSocket frames;
* :mod:`fuzz.grammar`: hypothesis strategies for JSON-RPC frames in both directions;
* :mod:`fuzz.world`: a client and a server connection wired back to back, with calls, actions,
  dials and messages already set up, plus the invariant checks;
* :mod:`fuzz.targets`: one function per fuzz target, taking the fuzzer's bytes.
"""
