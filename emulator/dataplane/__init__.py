"""The stage's data plane: where IVS clients join, publish and subscribe (`--data-plane`).

A second listener in the emulator's process, asyncio on a thread of its own (aiohttp for HTTP
and the events WebSocket, aiortc for WebRTC), on the same store as the control plane. Its
modules, each with one job:

- `urls`: the data plane's addresses, which stages name as their endpoints (no media needed);
- `availability`: whether the optional `media` extra is installed (no media needed);
- `listener`: the thread, its event loop and the aiohttp application;
- `rooms`: the members of each stage, STAGE_STATE and what the control plane did to them;
- `messages`: the JSON messages of the events WebSocket and the refusals' codes;
- `signalling`: the events WebSocket;
- `whip`: WHIP publish and subscribe over HTTP, the global entry, CORS;
- `media`: aiortc peer connections, the relay of each publisher's tracks, the counters;
- `ice`: which local addresses aiortc gathers ICE candidates on.

Only `urls` and `availability` may be imported without the `media` extra: the control plane
never imports the others unless the data plane is asked for (docs/live-stages.md).
"""
