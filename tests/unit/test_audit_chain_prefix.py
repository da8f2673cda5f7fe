"""The chain key's content and request hashes, made from prefix states: the same as the
MAC of the prefixed text."""

from __future__ import annotations

import os

from orchestration_kernel.audit.chain import ChainKey


def test_prefix_hashes_equal_the_mac_of_the_prefixed_text() -> None:
    key = ChainKey(os.urandom(32))
    for text in ("", "a", "naïve 請求", "lone \ud800 surrogate", "x" * 10_000):
        assert key.content_hash(text) == key.mac(f"content|{text}")
        assert key.request_hash(text) == key.mac(f"request|{text}")
