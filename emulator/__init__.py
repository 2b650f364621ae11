"""ivs-realtime-emulator: a local emulator of the Amazon IVS Real-Time control-plane API."""

from .app import create_app
from .config import Config

__all__ = ["Config", "create_app"]
