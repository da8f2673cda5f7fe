"""Keys are normalised where read and masked in every form they may be written in."""

from __future__ import annotations

import base64
import json
import logging
import os
from urllib.parse import quote

import pytest

from orchestration_kernel.log_redaction import SDK_LOGGERS, SecretFilter, install
from orchestration_kernel.secrets import MASK, Secret, lookup_secret, mask, secret_forms


def new_key(middle: str = "") -> str:
    return "sk-" + os.urandom(10).hex() + middle + os.urandom(10).hex()


def test_a_key_is_normalised_where_it_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    key = new_key()
    assert Secret(f"  {key}\r\n").get() == key
    monkeypatch.setenv("OPENAI_API_KEY", key + "\n")
    assert lookup_secret(["OPENAI_API_KEY"]).get() == key
    assert lookup_secret([], f"\t{key} ").get() == key
    monkeypatch.setenv("OPENAI_API_KEY", " \n")  # only whitespace: unset, not an empty key
    monkeypatch.setenv("ANTHROPIC_API_KEY", key)
    assert lookup_secret(["OPENAI_API_KEY", "ANTHROPIC_API_KEY"]).get() == key
    assert lookup_secret(["OPENAI_API_KEY"]) is None


@pytest.mark.parametrize(
    "form",
    [
        lambda k: k,
        lambda k: repr(k)[1:-1],
        lambda k: repr(repr(k))[1:-1],  # an exception's repr quoting a header's repr
        lambda k: json.dumps(k)[1:-1],
        lambda k: quote(k, safe=""),
        lambda k: base64.b64encode(k.encode()).decode(),
    ],
    ids=["plain", "repr", "repr-of-repr", "json", "url", "base64"],
)
def test_every_form_of_a_known_key_is_masked(form) -> None:
    key = new_key("\n")
    Secret(key)  # made once, anywhere in the process: from now on it is masked everywhere
    text = f"before {form(key)} after"
    masked = mask(text)
    assert MASK in masked
    assert not any(run in masked for run in key.split("\n") if len(run) >= 8)


def test_forms_of_a_named_value_are_masked_without_a_secret() -> None:
    value = "  " + new_key() + "\n"
    assert mask(f"x {value.strip()} y", [value]) == f"x {MASK} y"
    assert value.strip() in secret_forms(value)


def test_the_filter_masks_messages_arguments_and_exceptions() -> None:
    key = Secret(new_key()).get()
    try:
        raise ValueError(f"Illegal header value b'Bearer {key}'")
    except ValueError:
        import sys

        exc_info = sys.exc_info()
    record = logging.LogRecord(
        "httpcore2.http11",
        logging.DEBUG,
        __file__,
        1,
        "sent %s with %r",
        (key, {"k": key}),
        exc_info,
    )
    assert SecretFilter(mask).filter(record)
    text = logging.Formatter().format(record)
    assert key not in text and MASK in text and "Illegal header value" in text


def test_install_covers_each_sdk_logger_and_its_children() -> None:
    child = logging.getLogger("httpcore2.some_module_loaded_late")
    installed = install(mask)
    for name in [*SDK_LOGGERS, child.name]:
        assert installed in logging.getLogger(name).filters
    install(mask)
    assert logging.getLogger("openai").filters.count(installed) == 1


def test_a_child_logger_made_after_install_is_masked_too(caplog: pytest.LogCaptureFixture) -> None:
    key = Secret(new_key()).get()
    install(mask)
    late = logging.getLogger("httpcore2.imported_later_" + os.urandom(4).hex())
    assert not late.filters
    with caplog.at_level(logging.DEBUG, logger=late.name):
        late.debug("Illegal header value %r", f"Bearer {key}".encode())
    assert "Illegal header value" in caplog.text and key not in caplog.text
    assert MASK in caplog.text
