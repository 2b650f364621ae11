"""The service's contract: the pinned model and its patches (model), the errors it declares
(errors), the generic validator that checks input against it (validation), ARNs (arns) and
the wire format of times (timestamps).

This is the bottom layer: it imports nothing else of the emulator. The pinned model itself is
the top-level contract/ folder of the repository.
"""
