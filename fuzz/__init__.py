"""A black-box fuzzer for the emulator: `make fuzz` (or `python -m fuzz`) sends generated
requests over real HTTP and fails on any 5xx, hang, wrongly shaped error or lost service.

What it sends and how it judges the answers: docs/fuzzing.md. The modules:
model.py (the contract's operations and shapes), sample.py (strings from the model's
patterns), values.py (inputs from shapes, valid and broken), api.py (API requests and malformed
HTTP), controls.py (the /_emulator/ endpoints), transport.py (keep-alive HTTP with a timeout),
tokens.py (self-signed participant tokens, signed with the key of keys.py), judge.py (what
counts as a failure), runner.py (the run and its report), server.py (starting an emulator with
the console script when no URL is given).
"""
