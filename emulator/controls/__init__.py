"""Controls for tests: what a test can set or read beside the API.

The mechanisms the service reads: behaviours (denied and pending accounts, quotas, faults),
the clock, the seeded ids and the request journal; reset, the one owner of a reset that every
stateful part registers with; snapshot (inspect, export, import). The package views/ serves
them all under /_emulator/, with the stage client and the dashboard.
"""
