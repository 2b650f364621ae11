"""/_emulator/faults: inject modelled errors, throttling or 500s into API calls (choice C32)."""

from __future__ import annotations

from flask import Blueprint, Response

from ..faults import FaultRefused, Faults
from .common import Refused, control_blueprint, json_response, read_json


def faults_blueprint(faults: Faults) -> Blueprint:
    bp = control_blueprint("emulator_faults")

    @bp.get("/faults")
    def list_faults() -> Response:
        return json_response({"faults": faults.views()})

    @bp.post("/faults")
    def add_fault() -> Response:
        try:
            fault = faults.add(read_json())
        except FaultRefused as error:
            raise Refused(str(error)) from None
        return json_response(fault.view(), 201)

    @bp.delete("/faults")
    def clear_faults() -> Response:
        return json_response({"removed": faults.clear()})

    @bp.delete("/faults/<fault_id>")
    def remove_fault(fault_id: str) -> Response:
        if not faults.remove(fault_id):
            raise Refused(f"no fault {fault_id!r}; GET /_emulator/faults lists them", 404)
        return json_response({"removed": 1})

    return bp
