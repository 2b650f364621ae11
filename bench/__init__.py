"""Benchmarks of the emulator (`make bench`, i.e. `python -m bench`); not part of the tests.

`python -m bench` starts the real app (`emulator.create_app`) under each candidate WSGI server,
one after another on 127.0.0.1 and a free port, drives the same bounded load at each, and
reports requests/s and the ratio to Werkzeug's development server measured in the same run.
It then measures the console script as a user starts it: launch-to-first-token time and the
resident memory of its processes after a warm-up.
"""
