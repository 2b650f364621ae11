"""The stage's Amazon EventBridge events: derived from the store's changes in one place
(`derivation`), kept for GET /_emulator/events (`log`) and delivered to webhooks and
EventBridge buses in the background (`delivery`, `targets`); `system` puts them together for
`create_app` (docs/events.md, choices C60 to C67 in contract/README.md)."""
