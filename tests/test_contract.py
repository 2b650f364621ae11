"""The pinned contract: no drift from botocore, every operation routed, every choice written down."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

from emulator.contract import errors
from emulator.contract.model import Contract, contract_dir
from emulator.http.protocol import Router

ROOT = Path(__file__).resolve().parent.parent


def load_generator() -> object:
    spec = importlib.util.spec_from_file_location("generate", ROOT / "contract" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_pinned_model_matches_the_installed_botocore() -> None:
    generator = load_generator()
    rendered = generator.render()  # type: ignore[attr-defined]
    for name, text in rendered.items():
        assert (ROOT / "contract" / name).read_text("utf-8") == text, f"contract/{name} drifted"


def test_pinned_model_has_no_documentation_left() -> None:
    assert '"documentation"' not in (contract_dir() / "ivs-realtime-2020-07-14.json").read_text()


def test_model_has_forty_operations() -> None:
    assert len(Contract.load().operations) == 40


def test_every_operation_is_routed_from_its_http_binding() -> None:
    contract = Contract.load()
    router = Router(contract)
    for operation in contract.operations.values():
        path = operation.uri.replace("{resourceArn}", "arn:aws:ivs:us-east-1:1:stage/a")
        assert router.match(operation.method, path)[0] is operation


def test_every_error_shape_has_a_class_with_the_models_status() -> None:
    contract = Contract.load()
    assert set(errors.MODELLED) == set(contract.error_shapes)
    for name, cls in errors.MODELLED.items():
        assert cls.status == contract.error_status(name)


def test_service_quota_exceeded_is_402() -> None:
    assert Contract.load().error_status("ServiceQuotaExceededException") == 402


@pytest.mark.parametrize(
    "patch", json.loads((ROOT / "contract/patches.json").read_text())["patches"]
)
def test_each_patch_names_a_real_target_and_gives_reason_and_source(
    patch: dict[str, object],
) -> None:
    model = json.loads((ROOT / "contract/ivs-realtime-2020-07-14.json").read_text())
    shape = model["shapes"][patch["shape"]]
    if "member" in patch:
        assert patch["member"] in shape["members"]
    assert patch["reason"] and patch["source"]


def test_resource_arn_pattern_is_patched_to_accept_real_arns() -> None:
    pattern = Contract.load().shape("ResourceArn")["pattern"]
    assert re.fullmatch(pattern, "arn:aws:ivs:us-east-1:123456789012:public-key/abc")


def test_every_choice_the_code_cites_is_written_in_contract_readme() -> None:
    readme = (ROOT / "contract/README.md").read_text()
    written = set(re.findall(r"\*\*(C\d+)\.", readme))
    cited = {
        m
        for path in (ROOT / "emulator").rglob("*.py")
        for m in re.findall(r"choice (C\d+)", path.read_text())
    }
    assert cited and cited <= written
