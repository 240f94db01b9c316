"""Key resolution: constructor, then config, then environment, then .env; errors name the field."""

from __future__ import annotations

import pytest

from torchtrade.envs.live.shared.credentials import ApiKeys, resolve
from torchtrade.errors import ConfigError
from torchtrade.secrets import Secret

ENV = ("BITGETACCESSAPIKEY", "BITGETSECRETKEY", "BITGETPASSPHRASE")
NONE = (None, None, None)


@pytest.fixture(autouse=True)
def clean(monkeypatch, tmp_path):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env unless a test writes one


def keys(**kw) -> ApiKeys:
    kw.setdefault("given", NONE)
    kw.setdefault("configured", NONE)
    return resolve("Cfg", env_names=ENV, need_passphrase=True, **kw)


def test_the_order_is_constructor_config_environment_dotenv(monkeypatch, tmp_path):
    (tmp_path / ".env").write_text(
        "BITGETACCESSAPIKEY=dot-key\nBITGETSECRETKEY=dot-secret\nBITGETPASSPHRASE=dot-pass\n"
    )
    assert keys().api_key == "dot-key"
    monkeypatch.setenv("BITGETACCESSAPIKEY", "env-key")
    assert keys().api_key == "env-key"
    assert keys().api_secret.reveal() == "dot-secret"  # field by field
    assert keys(configured=("cfg-key", Secret("cfg-secret"), None)).api_key == "cfg-key"
    got = keys(given=("arg-key", "arg-secret", "arg-pass"), configured=("cfg-key", None, None))
    assert (got.api_key, got.api_secret.reveal(), got.passphrase.reveal()) == (
        "arg-key",
        "arg-secret",
        "arg-pass",
    )


@pytest.mark.parametrize(
    ("given", "field"),
    [((None, "s", "p"), "api_key"), (("k", None, "p"), "api_secret"), (("k", "s", None), "api_passphrase")],
)
def test_a_missing_key_names_its_field_and_where_to_put_it(given, field):
    with pytest.raises(ConfigError, match=rf"Cfg\.{field} is missing.*BITGET"):
        keys(given=given)


def test_the_environment_can_be_left_out(monkeypatch):
    monkeypatch.setenv("BITGETACCESSAPIKEY", "env-key")
    monkeypatch.setenv("BITGETSECRETKEY", "env-secret")
    monkeypatch.setenv("BITGETPASSPHRASE", "env-pass")
    fallback = ApiKeys("emulator-key", Secret("emulator-secret"), Secret("emulator-passphrase"))
    assert keys(fallback=fallback, use_environment=False).api_key == "emulator-key"
    assert keys(fallback=fallback).api_key == "env-key"


def test_keys_never_print():
    got = keys(given=("abcdefgh", "TOPSECRET", "PASSPHRASE"))
    assert "TOPSECRET" not in repr(got)
    assert "PASSPHRASE" not in repr(got)
    assert "abcdefgh" not in repr(got)


def test_a_long_key_shows_its_first_four_characters_only():
    got = keys(given=("bg_0123456789abcdef", "TOPSECRET", "PASSPHRASE"))
    assert "api_key='bg_0***'" in repr(got)
    assert "0123456789abcdef" not in repr(got)
