"""The pytest plugin, as a user's test suite sees it: fixtures from the installed entry point.

Each test writes a small test suite into a temporary folder (pytester) and runs pytest on it,
in a subprocess where what matters is the fresh interpreter (the entry point, imports without
boto3) and in-process otherwise (faster).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from emulator.config import SETTINGS
from emulator.testing.pytest_plugin import BOTO3_MISSING
from tests.doc_examples import code_blocks

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "pytest" / "test_example.py"
OWN_CLIENT_EXAMPLE = ROOT / "examples" / "pytest" / "test_own_client.py"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The suites run as in a fresh shell: plugins load, no emulator setting or AWS endpoint
    is set."""
    monkeypatch.delenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    for name in [setting.env for setting in SETTINGS] + ["AWS_ENDPOINT_URL_IVS_REALTIME"]:
        monkeypatch.delenv(name, raising=False)


def test_the_copied_example_passes_with_fixtures_from_the_entry_point(
    pytester: pytest.Pytester,
) -> None:
    # No -p flag and no conftest.py: the fixtures come from the installed entry point.
    pytester.makepyfile(test_example=EXAMPLE.read_text("utf-8"))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_the_example_of_code_that_builds_its_own_client_passes(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_own_client=OWN_CLIENT_EXAMPLE.read_text("utf-8"))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_the_env_fixture_points_clients_built_in_the_test_at_the_emulator_and_then_leaves(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import os

        import boto3

        def aws_variables():
            return {name: value for name, value in os.environ.items() if name.startswith("AWS_")}

        BEFORE = aws_variables()

        def test_a_client_built_here_reaches_the_emulator(ivs_emulator_env, ivs_emulator):
            arn = boto3.client("ivs-realtime").create_stage(name="inside")["stage"]["arn"]
            assert ivs_emulator.client().get_stage(arn=arn)["stage"]["name"] == "inside"
            assert os.environ["AWS_ENDPOINT_URL_IVS_REALTIME"] == ivs_emulator.url

        def test_the_next_test_has_the_environment_it_had_before():
            assert aws_variables() == BEFORE
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


@pytest.mark.parametrize("example", [EXAMPLE, OWN_CLIENT_EXAMPLE], ids=lambda path: path.name)
def test_the_testing_page_shows_each_example_file_whole(example: Path) -> None:
    assert example.read_text("utf-8") in code_blocks("docs/testing.md", "The pytest plugin", "python")


def test_with_autoload_off_p_names_the_plugin(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makepyfile(test_example=EXAMPLE.read_text("utf-8"))
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(errors=2)
    pytester.runpytest("-p", "no:cacheprovider", "-p", "ivs_realtime_emulator").assert_outcomes(
        passed=2
    )


def test_behaviours_one_test_sets_do_not_leak_into_the_next(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import json
        import urllib.request

        def post(url, path, body):
            request = urllib.request.Request(
                url + path, data=json.dumps(body).encode(), method="POST",
                headers={"Content-Type": "application/json"},
            )
            urllib.request.urlopen(request).close()

        def test_first_sets_a_quota_and_denies_the_account(ivs_emulator_url):
            body = {"quotas": {"stages": 0}, "denied": ["123456789012"]}
            post(ivs_emulator_url, "/_emulator/behaviours", body)

        def test_second_creates_a_stage(ivs_realtime_client):
            assert ivs_realtime_client.create_stage(name="after")["stage"]["name"] == "after"
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_no_emulator_starts_unless_a_test_asks_for_one(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_plain(pytestconfig):
            assert pytestconfig.pluginmanager.has_plugin("ivs_realtime_emulator")
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "--setup-show")
    result.assert_outcomes(passed=1)
    assert "ivs_emulator" not in result.stdout.str()


def test_one_emulator_serves_the_session_and_is_reset_before_each_test(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import urllib.request

        URLS = []

        def test_first(ivs_emulator, ivs_realtime_client):
            ivs_realtime_client.create_stage(name="first")
            URLS.append(ivs_emulator.url)

        def test_second_sees_no_stage_of_the_first(ivs_emulator_url, ivs_realtime_client):
            assert ivs_realtime_client.list_stages()["stages"] == []
            URLS.append(ivs_emulator_url)
            assert URLS[0] == URLS[1]
            with urllib.request.urlopen(ivs_emulator_url + "/_emulator/health") as response:
                assert response.status == 200

        def test_reset_forgets_stages_within_a_test(ivs_emulator, ivs_realtime_client):
            ivs_realtime_client.create_stage(name="gone")
            ivs_emulator.reset()
            assert ivs_realtime_client.list_stages()["stages"] == []

        def test_the_session_fixture_is_not_reset(ivs_emulator_session):
            ivs = ivs_emulator_session.client()
            ivs.create_stage(name="kept")
            ivs.create_stage(name="kept-too")

        def test_after_which_ivs_emulator_is_empty_again(ivs_emulator):
            assert ivs_emulator.client().list_stages()["stages"] == []
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=5)


def test_settings_come_from_the_environment_but_the_port_is_always_ephemeral(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IVS_EMULATOR_PORT", "4599")
    monkeypatch.setenv("IVS_EMULATOR_STAGE_QUOTA", "1")
    pytester.makepyfile(
        """
        import pytest
        from botocore.exceptions import ClientError

        def test_quota_from_the_environment(ivs_emulator, ivs_realtime_client):
            assert ivs_emulator.url.startswith("http://127.0.0.1:")
            assert not ivs_emulator.url.endswith(":4599")
            ivs_realtime_client.create_stage(name="one")
            with pytest.raises(ClientError, match="ServiceQuotaExceededException"):
                ivs_realtime_client.create_stage(name="two")
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_a_conftest_can_override_the_config(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import os

        import pytest
        from emulator.testing.pytest_plugin import config_from_env

        @pytest.fixture(scope="session")
        def ivs_emulator_config():
            return config_from_env(os.environ).replace(denied=frozenset({"111111111111"}))
        """
    )
    pytester.makepyfile(
        """
        import pytest
        from botocore.exceptions import ClientError

        def test_denied_account(ivs_emulator):
            with pytest.raises(ClientError, match="AccessDeniedException"):
                ivs_emulator.client(access_key="111111111111").list_stages()
            assert ivs_emulator.client().list_stages()["stages"] == []
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


NO_BOTO3 = """
import sys

sys.modules["boto3"] = None  # import boto3 now raises ImportError
sys.modules["botocore"] = None
import emulator.testing.pytest_plugin

assert "flask" not in sys.modules, "importing the plugin loaded Flask"
import pytest

sys.exit(pytest.main(["-p", "no:cacheprovider", "-rE"]))
"""


def test_without_boto3_the_plugin_loads_and_only_the_client_fixture_fails_saying_why(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import urllib.request

        def test_the_emulator_serves_without_boto3(ivs_emulator_url):
            with urllib.request.urlopen(ivs_emulator_url + "/_emulator/health") as response:
                assert response.status == 200

        def test_the_client_needs_boto3(ivs_realtime_client):
            pass
        """
    )
    result = pytester.run(sys.executable, "-c", NO_BOTO3)
    result.assert_outcomes(passed=1, errors=1)
    assert BOTO3_MISSING in result.stdout.str()


def test_ivs_events_waits_for_the_event_a_users_code_reacts_to(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import json
        import urllib.request

        import pytest

        def act(url, action, token):
            request = urllib.request.Request(
                f"{url}/_emulator/stage/{action}", data=json.dumps({"token": token}).encode(),
                method="POST", headers={"Content-Type": "application/json"})
            urllib.request.urlopen(request).read()

        def test_a_publish_sends_a_stage_update(ivs_realtime_client, ivs_emulator_url, ivs_events):
            stage = ivs_realtime_client.create_stage(name="s")["stage"]["arn"]
            token = ivs_realtime_client.create_participant_token(
                stageArn=stage, userId="alice")["participantToken"]
            act(ivs_emulator_url, "join", token["token"])
            act(ivs_emulator_url, "publish", token["token"])
            event = ivs_events.wait_for("IVS Stage Update", "Participant Published", timeout=5)
            assert event["resources"] == [stage]
            assert event["detail"]["user_id"] == "alice"

        def test_each_test_starts_with_no_events(ivs_events):
            assert ivs_events.all() == []

        def test_waiting_in_vain_says_what_was_sent(ivs_events):
            with pytest.raises(AssertionError, match="no IVS Stage Update / Participant Published"):
                ivs_events.wait_for("IVS Stage Update", "Participant Published", timeout=0.2)
        """
    )
    pytester.runpytest("-p", "no:cacheprovider", "-p", "no:randomly").assert_outcomes(passed=3)
