"""Benchmarks of the emulator; not part of the tests (docs/performance.md).

`python -m bench` (`make bench`, `make bench-quick`): the emulator beside moto_server and the
ceilings of a boto3 client, of Flask and of PyJWT signing, in one interleaved run, with the
scaling table and issue 13's targets; written to bench/results/ (bench/run.py).
`python -m bench.servers` (`make bench-servers`): the WSGI servers compared under the emulator.

Only the emulator's public entry points are used: the console script, `emulator.create_app`,
`emulator.Config` and `emulator.testing`.
"""
