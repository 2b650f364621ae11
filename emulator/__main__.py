"""`python -m emulator` starts the emulator, as the `ivs-realtime-emulator` command does."""

import sys

from .http.cli import main

sys.exit(main())
