"""What a credential-shaped value that is *not* a credential looks like: documentation
placeholders, templates and references, elided or masked values.

The rule the secrets detector follows: a value that is empty, one character repeated
(``xxxx``, ``sk-aaaa``), mostly one character or a long run of a mask character
(``4b1dXXXXXXXX…``), an ascending run (``abcdef``, ``123456``, the keyboard-walk of a
made-up sample), or that says ``EXAMPLE``, ``your``, ``REDACTED``, ``<…>``, ``${…}`` or
ends in ``...`` is a placeholder. A real-looking value is still caught under any name.

The filler tests (one or two characters, mostly a mask character, ``xxxx``, mostly runs
of one character, ``5555555dAAAAAaaaa…``) can be turned off with ``fill=False``: a vendor
token whose documented form has no delimiter after its prefix (Twilio's ``SK…``, AWS's
``AKIA…``) is judged whole, and a prefix glued to filler is then not "one character
repeated" (see :mod:`.secret_formats`).

Not a placeholder but not a credential either: a time-based UUID (:func:`is_time_uuid`),
an identifier whose every part is a clock reading or a network address.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING

from ._scan import CASELESS_ASCII

if TYPE_CHECKING:
    from ahocorasick_rs import AhoCorasick

__all__ = [
    "brackets_cross",
    "has_sequence_run",
    "is_metavariable",
    "is_placeholder",
    "is_time_uuid",
    "mask_dominated",
    "mostly_runs",
    "says_placeholder_word",
]

_PLACEHOLDER_WORDS = (
    "your",
    "example",
    "placeholder",
    "changeme",
    "change_me",
    "redacted",
    "dummy",
    "insert",
    "replace",
    "todo",
    "fake",
    "sample",
    "foobar",
    "notreal",
    "not_real",
    "....",
    "…",
)
#: Filler words: a run of a mask character (only with ``fill``).
_FILL_WORDS = ("xxxx", "****", "####")
#: A value starting with one of these is a reference to a secret kept elsewhere.
_REFERENCE_STARTS = ("os.", "process.", "env.", "getenv", "secrets.", "vault:")
#: CloudFormation's intrinsic functions in YAML's short form, alone or before their
#: argument: a value resolved at deploy time from a parameter, an export or a resource
#: (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/
#: intrinsic-function-reference.html).
_CFN_FUNCTION = re.compile(r"!(?:Ref|ImportValue|GetAtt|Sub|FindInMap|Select|Join)(?:\s|$)")
#: A format field inside a value (``"prefix_{0}"``, ``"{}"``, ``"{ password }"``): the
#: value is a template filled in at run time (Python's ``str.format`` and f-strings, C#'s
#: composite format, Go and Jinja templates with blanks inside the braces) when no digit
#: and no other brace stands outside its fields (a typed password with braces, ``Kx{b}9!``
#: or ``m{{h}o)p${e]…}}``, has one).
_FORMAT_FIELD = re.compile(r"\{[ \t]{0,2}(?:\d{0,2}|[A-Za-z_][\w.]{0,40})[ \t]{0,2}\}")
#: Where a template starts; :data:`_TEMPLATE` says whether it is one.
_TEMPLATE_OPENERS = ("<", "{", "$", "%(", "%{", "[")
#: A template as written: ``<your key>``, ``{{ x }}``, ``${X}``, ``$(cmd)``, ``%(x)s``,
#: ``%{x}``, ``[REDACTED]``, a Python format field as the whole value (``{password}``,
#: ``{cfg.pw}``, ``{creds['pw']}``: an f-string's URL), or a variable (``$DB_PASS``,
#: ``$env:TOKEN``, ``$config['key']``, ``$HOME/x``; ``$$DB_PASS``, the ``$`` escaped as
#: Make and Compose files write it).
_TEMPLATE = re.compile(
    r"<[A-Za-z_*.][\w .:/|*-]{0,120}>(?=\W*$)"
    r"|\[[A-Za-z_*.][\w .:/|*-]{0,120}\](?=\W*$)"
    # A template expression holds no lone brace (``{{h}o)p${e]…}}`` is a value, not one).
    r"|\$?\{\{[^{}]{0,200}\}\}"
    r"|\{[A-Za-z_][\w.]{0,80}(?:\[[\"']?[\w.-]{1,40}[\"']?\])?(?:![rsa])?(?::[^{}]{0,20})?\}(?=\W*$)"
    r"|\$\{[A-Za-z_][\w.:\-?!= |'\"]{0,200}\}"
    r"|\$\([A-Za-z_][\w .:/'\"|=-]{0,200}\)"
    r"|%\([A-Za-z_][\w.]{0,80}\)[sdrif]"
    r"|%\{[A-Za-z_][\w.:]{0,80}\}"
    r"|\$\$?(?:env:)?[A-Za-z_][\w.]{0,80}$"
    r"|\$[A-Za-z_]\w{0,80}\[[\"']",
    re.DOTALL,
)
_TEMPLATE_ENDS = ("...", "…")
_LITERALS = frozenset(
    {
        "null",
        "none",
        "true",
        "false",
        "nil",
        "undefined",
        "empty",
        "secret",
        "password",
        "passwd",
        "pass",
        "token",
        "apikey",
        "api_key",
        "string",
        "required",
        "optional",
    }
)
#: Characters people fill a made-up value with.
_MASK_CHARS = frozenset("xX*#0._-•")
_ALPHABET = "abcdefghijklmnopqrstuvwxyz"
_DIGITS = "0123456789"
_RUN_OF_6 = re.compile(
    "|".join(seq[i : i + 6] for seq in (_ALPHABET, _DIGITS) for i in range(len(seq) - 5)),
    re.IGNORECASE,
)
_MASK_RUN = re.compile(r"([xX*#0._\-•])\1{5}")
#: A placeholder word this long counts in one case wherever it stands.
_LONG_WORD = 6
#: How an occurrence of a word in a value is judged: (value, start, end) -> a word?
_WordTest = Callable[[str, int, int], bool]


#: The six-character ascending runs (``_RUN_OF_6``'s alternatives).
_RUNS_OF_6 = tuple(seq[i : i + 6] for seq in (_ALPHABET, _DIGITS) for i in range(len(seq) - 5))


@cache
def _automaton(words: tuple[str, ...]) -> AhoCorasick:
    """``words`` as one automaton (built on first use)."""
    import ahocorasick_rs  # on first use, like the scanners in _scan

    return ahocorasick_rs.AhoCorasick(list(words))


def _holds_any(low: str, words: tuple[str, ...]) -> bool:
    """``any(w in low for w in words)``, in one pass over ``low``."""
    try:
        return bool(_automaton(words).find_matches_as_indexes(low))
    except UnicodeEncodeError:  # a lone surrogate: the automaton reads UTF-8 only
        return any(w in low for w in words)


def _has_run_of_6(value: str) -> bool:
    """``_RUN_OF_6.search(value)``, answered by one Aho-Corasick pass over the value
    folded as the case-insensitive pattern reads it (a 36-way alternation tried at every
    position costs microseconds per value)."""
    folded = value.lower() if value.isascii() else value.translate(CASELESS_ASCII)
    return _holds_any(folded, _RUNS_OF_6)


def has_sequence_run(value: str, length: int = 6) -> bool:
    """True when ``value`` holds ``length`` ascending letters or digits in a row
    (``abcdef``, ``123456``): a person typed it."""
    if length != 6:
        low = value.lower()
        return any(
            seq[i : i + length] in low
            for seq in (_ALPHABET, _DIGITS)
            for i in range(len(seq))
            if len(seq[i : i + length]) == length
        )
    return _has_run_of_6(value)


def mask_dominated(value: str) -> bool:
    """True when a mask character (``x``, ``*``, ``0``, ``#``, ...) makes up 40% or more
    of a value of 8+ characters, or runs 6 times in a row."""
    if len(value) < 8:
        return len(set(value)) <= 1
    # The most frequent mask character's count (a count per mask character: cheaper
    # than tallying every character of a short value).
    masked = max(map(value.count, _MASK_CHARS))
    return masked >= 0.4 * len(value) or bool(_MASK_RUN.search(value))


#: A character said twice or more in a row.
_REPEATED = re.compile(r"(.)\1+", re.DOTALL)


def mostly_runs(value: str) -> bool:
    """True when two of every three characters of a value of 8+ characters repeat the
    one before (``5555555dAAAAA7777777aaaa…``): runs typed to fill a sample's length. A
    generated value seldom repeats a character (1 in 62 per place for base62, 1 in 16 for
    hex), so its runs collapsed are nearly as long as the value."""
    n = len(value)
    return n >= 8 and 3 * len(_REPEATED.sub(r"\1", value)) <= n


#: A version-1 UUID as RFC 9562 (section 5.1) lays it out: time_low, time_mid, the version
#: digit ``1`` and time_high, the variant (``8``-``b``) and clock sequence, the node.
_TIME_UUID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-1[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}"
)
#: Seconds from the UUID epoch (1582-10-15) to the Unix epoch.
_UUID_EPOCH = 12_219_292_800
#: The years a clock that made a UUID can read: 1990 to 2100 (Unix seconds).
_CLOCK_FROM, _CLOCK_TO = 631_152_000, 4_102_444_800


def is_time_uuid(value: str) -> bool:
    """Is ``value`` a time-based (version 1) UUID whose timestamp is a date between 1990
    and 2100? Such a UUID is a 100-ns clock reading, a clock sequence and a node (often a
    MAC address): nothing in it is random, so it names a thing and guards nothing
    (RFC 9562, section 8: UUIDs are not to be used as security capabilities). A random
    value of the same shape has the version and variant digits and a date in range
    about once in 2,000 draws."""
    if len(value) != 36 or _TIME_UUID.fullmatch(value) is None:
        return False
    ticks = int(value[15:18], 16) << 48 | int(value[9:13], 16) << 32 | int(value[:8], 16)
    return _CLOCK_FROM <= ticks // 10_000_000 - _UUID_EPOCH <= _CLOCK_TO


def is_placeholder(value: str, *, sequences: bool = True, fill: bool = True) -> bool:
    """True for a value that stands in for a secret rather than being one.

    ``sequences``: also count ascending runs (``abcdef``) as made up; off for passwords
    a person chose, where a run is a weak password, not a sample. ``fill``: also count
    filler (two distinct characters or fewer, a mask character making up much of the
    value, ``xxxx``); off for a value judged whole, where only one character repeated
    is filler.
    """
    stripped = value.strip()
    if not stripped:
        return True
    low = stripped.lower()
    if low in _LITERALS or _is_template(stripped, low) or low.endswith(_TEMPLATE_ENDS):
        return True
    if len(set(low)) <= (2 if fill else 1):
        return True
    if fill and (mask_dominated(stripped) or mostly_runs(stripped)):
        return True
    if says_placeholder_word(stripped):
        return True
    if fill and _says_a_word(stripped, _aligned_lower(stripped), _FILL_WORDS, _fill_like):
        return True
    return sequences and has_sequence_run(stripped)


def says_placeholder_word(value: str) -> bool:
    """Does ``value`` hold a placeholder word (``your``, ``EXAMPLE``, ``redacted``, ...)
    written as a word (see :func:`_word_like`)?"""
    return _says_a_word(value, _aligned_lower(value), _PLACEHOLDER_WORDS, _word_like)


def _aligned_lower(value: str) -> str:
    """``value`` lower-cased letter for letter, so an index into it is one into
    ``value`` (``str.lower`` writes ``İ`` as two characters)."""
    low = value.lower()
    if len(low) == len(value):
        return low
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in value)


def _is_template(value: str, low: str) -> bool:
    """A template or a reference (``<your key>``, ``${VAR}``, ``$VAR``, ``{{ x }}``,
    ``os.environ[...]``), closed as templates are: a random password that merely
    starts with ``<``, ``$`` or ``[`` is not one."""
    if value.startswith(_REFERENCE_STARTS):
        return True
    if value.startswith("!") and _CFN_FUNCTION.match(value) is not None:
        return True
    if "{" in value and _FORMAT_FIELD.search(value) is not None:
        rest = _FORMAT_FIELD.sub("", value)
        # Every brace a field's and no digit outside: ``m{{h}o)p${e]…}}`` is a password.
        if not any(c.isdigit() or c in "{}" for c in rest):
            return True
    if not value.startswith(_TEMPLATE_OPENERS):
        return False
    return _TEMPLATE.match(value) is not None


def _says_a_word(value: str, low: str, words: tuple[str, ...], like: _WordTest) -> bool:
    """Does ``value`` hold one of ``words`` written as a word (``like`` judges each
    occurrence)? The automaton says whether any occurs at all (most values: none)."""
    if not _holds_any(low, words):
        return False
    for word in words:
        at = low.find(word)
        while at >= 0:
            if like(value, at, at + len(word)):
                return True
            at = low.find(word, at + 1)
    return False


def _one_case(part: str) -> bool:
    """Written in one case, or capitalised (``your``, ``YOUR``, ``Example``)."""
    letters = part.replace("_", "")
    return letters.islower() or letters.isupper() or part.istitle() or not letters.isalpha()


def _starts_part(value: str, at: int) -> bool:
    """Does a word part start at ``at``: the value's start, after a non-alphanumeric
    character, or at a camelCase hump (``myExample``)?"""
    if at == 0 or not value[at - 1].isalnum():
        return True
    return value[at - 1].islower() and value[at].isupper()


def _ends_part(value: str, end: int) -> bool:
    """Does a word part end at ``end``: the value's end, a non-alphanumeric character,
    or a camelCase hump (``yourKey``)?"""
    if end == len(value) or not value[end].isalnum():
        return True
    return value[end - 1].islower() and value[end].isupper()


def _word_like(value: str, start: int, end: int) -> bool:
    """Is ``value[start:end]`` (a placeholder word) written as a word, not letters a
    random token happens to hold (``...yOuR...``, ``...3fake9...``)?

    In one case, and: a long word (six letters or more: ``sk-example…``,
    ``AKIAIOSFODNN7EXAMPLE``, which chance spells about once in 10^9 tokens); or a
    word part of its own (``YOUR_API_KEY``, ``your-token-here``, ``yourKey``, and
    lower case after capitals up to a delimiter: ``AAyour-token``); or a run of
    letters in the word's case (``yourkeyhere``, ``somefakekey``, ``FAKEKEY``: what
    people type, while a random token's run holds digits too).
    """
    part = value[start:end]
    if not _one_case(part):
        return False
    if end - start >= _LONG_WORD or not part.isalpha():
        return True
    first, last = _starts_part(value, start), _ends_part(value, end)
    if first and last:
        return True
    if not first and last and part.islower() and value[start - 1].isupper():
        # After capitals, up to a delimiter or the end (not a hump: "…FtodoG…").
        return end == len(value) or not value[end].isalnum()
    lo, hi = start, end
    while lo > 0 and value[lo - 1].isalnum():
        lo -= 1
    while hi < len(value) and value[hi].isalnum():
        hi += 1
    run = value[lo:hi]
    return run.isalpha() and (run.islower() if part.islower() else run.isupper())


def _fill_like(value: str, start: int, end: int) -> bool:
    """Is ``value[start:end]`` (``xxxx``, ``****``, ``####``) filler: in one case and
    at an edge of the value or a word part (``sk-xxxx``, ``abc123xxxx``), not four
    x's a random token holds in its middle?"""
    part = value[start:end]
    if not _one_case(part):
        return False
    return not part.isalpha() or _starts_part(value, start) or _ends_part(value, end)


#: A name in capitals: letters (any script) joined by ``_`` or ``-``, no digit, and an
#: optional colon (the next key of a mapping: ``credentials: BS_USERNAME:``).
_METAVARIABLE = re.compile(r"[^\W\d_]{2,40}(?:[_-][^\W\d_]{1,40}){0,6}:?")


def is_metavariable(value: str) -> bool:
    """Is ``value`` a name written in capitals (``PAROLA``, ``MOT_DE_PASSE``,
    ``DB_PASSWORD``, ``ПАРОЛЬ``)? What ``--help`` text and gettext catalogues put after
    an option for the value to type (``--password=PAROLA``), and what a configuration
    gives where it names the variable holding the secret (``token: GITHUB_TOKEN``): a
    name, not the credential. A generated value is never letters of one case alone with
    no digit; a password so written is one a person would not choose."""
    return len(value) <= 120 and value.isupper() and _METAVARIABLE.fullmatch(value) is not None


_OPENERS = {")": "(", "]": "[", "}": "{"}


def brackets_cross(value: str) -> bool:
    """Do ``value``'s brackets cross (``{{h}o)p${e]…``: a ``)`` closing a ``{``, or a
    closer with nothing open and more after it)? Code's brackets nest, and code cut
    short by a blank or a comma leaves openers unclosed or closers at its end
    (``get(x``, ``abc)``); crossed ones are characters a person typed into a value."""
    stack: list[str] = []
    for i, ch in enumerate(value):
        if ch in "([{":
            stack.append(ch)
        elif ch in _OPENERS:
            if stack and stack[-1] == _OPENERS[ch]:
                stack.pop()
            elif stack or value[i + 1 :].strip(")]}"):
                return True
    return False
