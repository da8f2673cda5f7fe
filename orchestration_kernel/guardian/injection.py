"""Prompt injection and jailbreak attempts: instruction overrides, role-play jailbreaks,
system-prompt extraction and hidden characters.

Each signal has a weight; a text's score is the noisy-or of the signals it shows
(``1 - Π(1 - w)``), compared with a threshold. One strong signal blocks on its own; weak
ones (a role-play frame, "without restrictions") only block together.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property

from ..models import Action
from ._scan import Anchored, first_word, words
from .context import GuardContext, Stage
from .policy import BasePolicy, Outcome
from .redaction import Finding

__all__ = ["InjectionDetector", "InjectionPolicy", "Signal"]


@dataclass(frozen=True)
class Signal:
    """One kind of evidence: an entity name, a weight in [0, 1] and where to look.

    ``anchor.triggers`` are the literal (lower-case) words a match starts with; the
    pattern runs on the lower-cased text unless ``case_sensitive``.
    """

    entity: str
    weight: float
    anchor: Anchored
    case_sensitive: bool = False

    @cached_property
    def gate(self) -> frozenset[bytes]:
        """The (lower-case) first words of the triggers: no match without one of them."""
        return frozenset(first_word(t.lower()) for t in self.anchor.triggers)


def _sig(
    entity: str,
    weight: float,
    triggers: str,
    rest: str = "",
    *,
    case_sensitive: bool = False,
    line_start: bool = False,
) -> Signal:
    """A signal whose pattern is ``(?:trigger|...)`` followed by ``rest``."""
    words = tuple(triggers.split("|"))
    pattern = re.compile("(?:" + "|".join(re.escape(w) for w in words) + ")" + rest)
    return Signal(entity, weight, Anchored(words, pattern, line_start=line_start), case_sensitive)


_TARGETS = (
    r"(?:instructions?|directions?|prompts?|rules|guidelines|directives|commands|context"
    r"|guardrails|constraints|polic(?:y|ies)|programming|restrictions|orders|messages?)"
)
_DETERMINERS = (
    r"(?:previous|prior|above|earlier|preceding|former|initial|original|your|all|any|the"
    r"|these|those|system|safety|my)"
)
_OVERRIDE_VERBS = "ignore|disregard|forget|skip|bypass|override|overrule|abandon|drop"
#: What makes a rule set a *safety* rule set: with one of these, any owner may stand
#: between the verb and the target ("ignore OpenAI content policy", "skip Acme's usage
#: rules"), where a bare "ignore X policy" needs a determiner like "your" or "the".
_SAFETY_RULES = (
    r"(?:content|safety|usage|ethical|ethics|moral|moderation|acceptable[ -]use)\s+"
    r"(?:polic(?:y|ies)|guidelines|filters?|rules|restrictions|guardrails|standards"
    r"|settings|terms)"
)
_REVEAL_VERBS = (
    "reveal|print|show|output|repeat|display|dump|leak|spell out|tell me|give me|write out"
    "|paste|copy|recite|share|list"
)
#: Questions about *your* prompt are extraction too; "what is a system prompt" is not.
_ASK_VERBS = _REVEAL_VERBS + "|what is|what are|what were"
_OVERRIDE = "INSTRUCTION_OVERRIDE"
_ROLEPLAY = "JAILBREAK_ROLEPLAY"
_EXTRACT = "PROMPT_EXTRACTION"

_SIGNALS: tuple[Signal, ...] = (
    # -- instruction override ------------------------------------------------------------
    _sig(
        _OVERRIDE,
        0.9,
        _OVERRIDE_VERBS,
        rf"\b(?:\s+\w+){{0,2}}?\s+{_DETERMINERS}\b(?:\s+[\w-]+){{0,2}}?\s+{_TARGETS}\b",
    ),
    _sig(_OVERRIDE, 0.8, _OVERRIDE_VERBS, rf"\b(?:\s+[\w'’.-]+){{0,3}}?\s+{_SAFETY_RULES}\b"),
    _sig(
        _OVERRIDE,
        0.8,
        "forget",
        r" (?:everything|all|anything)(?: (?:you(?:'ve| have)? (?:been|were) told|above"
        r"|before|so far|you know))",
    ),
    _sig(_OVERRIDE, 0.8, "new instruction|new rule|new directive", r"s?\s*(?::|are\b)"),
    _sig(_OVERRIDE, 0.8, "stop following|stop obeying", rf" (?:your|the|any|all) {_TARGETS}"),
    _sig(_OVERRIDE, 0.8, "no longer", r" (?:bound|restricted|limited|constrained) by\b"),
    _sig(_OVERRIDE, 0.6, "ignore|disregard", r" (?:them|those|these|that|it) and\b"),
    _sig(_OVERRIDE, 0.5, "obey only me|follow my instructions instead|follow only my"),
    _sig(_OVERRIDE, 0.5, "system|assistant", r"\s*(?:\]|>)?\s*:", line_start=True),
    # -- role-play jailbreaks --------------------------------------------------------------
    _sig(_ROLEPLAY, 0.9, "do anything now"),
    _sig(_ROLEPLAY, 0.4, "DAN|STAN|AIM", r"\b", case_sensitive=True),
    _sig(
        _ROLEPLAY,
        0.6,
        "jailbreak|jailbroken",
        r"\b(?! (?:an? |my |your )?(?:i?phone|ipad|device|console))",
    ),
    _sig(
        _ROLEPLAY,
        0.4,
        "developer mode|dev mode|god mode|jailbreak mode|unrestricted mode|unfiltered mode"
        "|evil mode",
        r"\b",
    ),
    _sig(_ROLEPLAY, 0.4, "mode enabled|mode output|mode on", r"\b"),
    _sig(
        _ROLEPLAY,
        0.6,
        "unfiltered|uncensored|amoral|unrestricted|unethical|unaligned|evil",
        r"\b(?:\s+(?:and|,)?\s*\w+)?\s+(?:ai|chatbot|assistant|model|bot|version|llm"
        r"|confidant)\b",
    ),
    _sig(
        _ROLEPLAY,
        0.4,
        "without|no|free of|free from|broken free of",
        r"\s+(?:any\s+)?(?:ethical\s+|moral\s+|content\s+)?(?:or\s+\w+\s+)?(?:restrictions"
        r"|limits|filters|rules|guidelines|ethics|morals|content polic(?:y|ies)|censorship)\b",
    ),
    _sig(
        _ROLEPLAY,
        0.3,
        "act as|acting as|pretend to be|pretend you|role-play as|roleplay as|imagine you"
        "|respond as|behave like|behave as|you are now|simulate|from now on you",
        r"\b",
    ),
    _sig(
        _ROLEPLAY,
        0.5,
        "doesn't|does not|don't|do not|never|won't|will not",
        r"\s+(?:abide by|follow|obey|refuse|care about)\s+(?:any|the|a)?\s*(?:rules"
        r"|guidelines|polic(?:y|ies)|requests?|ethics)",
    ),
    _sig(_ROLEPLAY, 0.4, "never refuse|can say anything|no limits", r"s?\b"),
    _sig(
        _ROLEPLAY,
        0.6,
        "deceased grand|late grand|dead grand",
        r"(?:ma|mother|father|pa)\b.{0,40}\bused to\b",
    ),
    _sig(_ROLEPLAY, 0.3, "hypothetically|for research purposes|it's for research|its for research"),
    # -- system prompt extraction ------------------------------------------------------------
    _sig(
        _EXTRACT,
        0.8,
        _ASK_VERBS,
        r"\s+(?:me\s+|back\s+)?your\s+(?:[\w-]+\s+){0,2}?(?:system prompt|system message"
        r"|prompt|instructions|rules|directives|guidelines|configuration|pre-?prompt)",
    ),
    _sig(
        _EXTRACT,
        0.8,
        _REVEAL_VERBS,
        r"\s+(?:me\s+)?(?:\w+\s+){0,3}?(?:system|hidden|initial|original|secret|confidential)"
        r"\s+(?:prompt|message|instructions)",
    ),
    _sig(
        _EXTRACT,
        0.8,
        "repeat|print|output|copy|reproduce|return",
        r"\s+(?:back\s+)?(?:the\s+|all\s+(?:the\s+)?)?(?:text|words|everything|all|content"
        r"|lines?)\s+(?:above|before|prior)",
    ),
    _sig(
        _EXTRACT,
        0.6,
        "instructions|prompt|rules",
        r"\s+(?:that\s+)?(?:you were given|you received|you were told|(?:the\s+)?(?:developers?"
        r"|creators?|openai|anthropic)\s+gave you)",
    ),
    _sig(_EXTRACT, 0.6, "what were you told|what is your system prompt"),
    _sig(_EXTRACT, 0.4, "starting with ", r"[\"'`]you are\b"),
    _sig(_EXTRACT, 0.2, "verbatim|word for word", r"\b"),
)

# Hidden characters: tag characters smuggle invisible ASCII; bidi overrides reorder text.
_TAGS = re.compile("[\U000e0000-\U000e007f]+")
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\u2061-\u2064\u180e\ufeff]")


def _noisy_or(weights: Iterable[float]) -> float:
    keep = 1.0
    for w in weights:
        keep *= 1.0 - w
    return 1.0 - keep


def _is_emoji_join(text: str, i: int) -> bool:
    """A zero-width joiner between two symbols is part of an emoji sequence, not hiding."""
    if text[i] != "\u200d" or i == 0 or i + 1 >= len(text):
        return False
    return all(unicodedata.category(text[j]).startswith("S") for j in (i - 1, i + 1))


class InjectionDetector:
    """Scores a text for injection and jailbreak signals."""

    def __init__(self, signals: Iterable[Signal] | None = None) -> None:
        self.signals = tuple(signals) if signals is not None else _SIGNALS

    def find(self, text: str) -> tuple[float, list[Finding]]:
        """The noisy-or score and the evidence (one weight per distinct signal)."""
        findings = list(self._hidden(text))
        findings.extend(self._patterns(text))
        # A signal counts once however often it occurs: repetition is not more evidence.
        distinct = {(f.entity, f.score or 0.0) for f in findings}
        return _noisy_or(w for _, w in distinct), findings

    def _patterns(self, text: str) -> Iterator[Finding]:
        low = text.lower()  # a rare length-changing character only shifts the evidence
        present = words(low)
        for signal in self.signals:
            if present.isdisjoint(signal.gate):
                continue
            m = signal.anchor.search(text if signal.case_sensitive else low)
            if m:
                end = min(m.end(), len(text))
                yield Finding(signal.entity, min(m.start(), end), end, signal.weight)

    @staticmethod
    def _hidden(text: str) -> Iterator[Finding]:
        if text.isascii():
            return
        for m in _TAGS.finditer(text):
            yield Finding("HIDDEN_TEXT", m.start(), m.end(), 0.9)
        for m in _BIDI.finditer(text):
            yield Finding("BIDI_CONTROL", m.start(), m.end(), 0.6)
        zero = [m for m in _ZERO_WIDTH.finditer(text) if not _is_emoji_join(text, m.start())]
        weight = 0.5 if len(zero) >= 2 else 0.3
        for m in zero:
            yield Finding("ZERO_WIDTH", m.start(), m.end(), weight)


class InjectionPolicy(BasePolicy):
    """Blocks input whose injection score reaches ``threshold``; warns above half of it."""

    name = "injection"

    def __init__(
        self,
        *,
        threshold: float = 0.5,
        action: Action = "block",
        warn_at: float | None = None,
        stages: Iterable[Stage] = ("input",),
        name: str | None = None,
        detector: InjectionDetector | None = None,
    ) -> None:
        super().__init__(name=name, stages=stages)
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"injection threshold must be in (0, 1], got {threshold}")
        self.threshold = threshold
        self.warn_at = threshold / 2 if warn_at is None else warn_at
        self.action: Action = action
        self.detector = detector or InjectionDetector()

    def check(self, text: str, ctx: GuardContext, stage: Stage) -> Outcome | None:
        """Score the text and compare with the threshold."""
        score, findings = self.detector.find(text)
        if score < self.warn_at:
            return None
        kinds = sorted({f.entity.lower().replace("_", " ") for f in findings})
        action: Action = self.action if score >= self.threshold else "warn"
        reason = f"possible prompt injection ({', '.join(kinds)}): score {score:.2f}"
        reason += f" vs threshold {self.threshold:.2f}"
        # Evidence only: the attack text stays as it is in the verdict (and the audit).
        return Outcome(action, [reason], findings, round(score, 4), self.threshold, redacts=False)
