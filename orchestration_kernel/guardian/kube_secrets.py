"""Values of a Kubernetes Secret manifest: the entries under ``data:`` in a YAML document
whose ``kind`` is ``Secret``.

Kubernetes documents them so (https://kubernetes.io/docs/concepts/configuration/secret/,
"Secret" object): ``data`` maps keys to base64-encoded values, and the values are the
secrets themselves (a password, a token, a ``.dockercfg``). Only ``kind: Secret`` counts:
``ExternalSecret``, ``SopsSecret`` and ``SecretStore`` documents name or encrypt secrets
kept elsewhere. A value counts when it is base64 of ten characters or more (``YmFyCg==``,
"bar", is a sample); empty values and templates (``{{ .Values.x }}``) are not secrets.
Each line is read once, so the scan is linear in the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import pairwise

__all__ = ["KIND_MARK", "find_kube_secret_values"]

#: Where a manifest is looked for (lower-cased text): the key word of its kind.
KIND_MARK = "kind:"
_KIND = re.compile(r"^[ \t]*kind:[ \t]*([\"']?)[Ss]ecret\1[ \t]*\r?$", re.MULTILINE)
_DOC_SEPARATOR = re.compile(r"^---[ \t]*\r?$", re.MULTILINE)
_DATA = re.compile(r"^([ \t]*)data:[ \t]*\r?$", re.MULTILINE)
#: ``key: value``, the value quoted or not, or on the next line after ``|`` or ``>``.
_ENTRY = re.compile(
    r"([ \t]+)[\w.-]{1,253}:[ \t]*(?:[|>][-+]?[ \t]*\r?\n[ \t]+)?"
    r"([\"']?)(?P<v>[A-Za-z0-9+/]{10,65536}={0,3})\2[ \t]*\r?$",
    re.MULTILINE,
)


def find_kube_secret_values(text: str) -> Iterator[tuple[int, int]]:
    """Spans of the base64 values under ``data:`` in each ``kind: Secret`` document."""
    if _KIND.search(text) is None:
        return
    bounds = [0, *(m.end() for m in _DOC_SEPARATOR.finditer(text)), len(text)]
    for start, end in pairwise(bounds):
        if _KIND.search(text, start, end) is None:
            continue
        for data in _DATA.finditer(text, start, end):
            yield from _entries(text, data.end(), end, len(data.group(1)))


def _entries(text: str, pos: int, end: int, indent: int) -> Iterator[tuple[int, int]]:
    """The values of the block after ``data:`` (lines indented deeper than it)."""
    while pos < end:
        line_start = pos + 1 if text.startswith("\n", pos) else pos
        line_end = text.find("\n", line_start, end)
        line_end = end if line_end < 0 else line_end
        line = text[line_start:line_end]
        stripped = line.lstrip(" \t")
        if stripped and not stripped.startswith("#"):
            if len(line) - len(stripped) <= indent:
                return  # the block ended: a key at data's depth or above
            m = _ENTRY.match(text, line_start, end)
            if m is not None:
                yield m.start("v"), m.end("v")
                line_end = max(line_end, m.end())
        pos = line_end
