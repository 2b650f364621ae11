"""The service layer: one plain function per operation, and the dispatcher that calls them.

`context` holds what a handler receives, `dispatch` finds and runs the handler of an
operation, and each other module holds the operations of one resource (stages,
participant_tokens, public_keys, ...) or one rule they share (paging, finders, in_use,
live_sessions). `admission` judges participant tokens; `stage_actions` and `ingest_actions`
are what a stage client or an encoder does (join, publish, start an ingest). No Flask, no
JSON, no HTTP here.
"""
