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

from ..models import Action
from .context import GuardContext, Stage
from .policy import BasePolicy, Outcome
from .redaction import Finding

__all__ = ["InjectionDetector", "InjectionPolicy", "Signal"]


@dataclass(frozen=True)
class Signal:
    """One kind of evidence: an entity name, a weight in [0, 1] and a pattern."""

    entity: str
    weight: float
    pattern: re.Pattern[str]


def _sig(entity: str, weight: float, pattern: str, flags: int = re.IGNORECASE) -> Signal:
    return Signal(entity, weight, re.compile(pattern, flags))


_TARGETS = (
    r"(?:instructions?|directions?|prompts?|rules|guidelines|directives|commands|context"
    r"|guardrails|constraints|polic(?:y|ies)|programming|restrictions|orders|messages?)"
)
_DETERMINERS = r"(?:previous|prior|above|earlier|preceding|former|initial|original|your|all|any|the|these|those|system|safety|my)"
_REVEAL_VERBS = (
    "reveal|print|show|output|repeat|display|dump|leak|spell out|tell me|give me|write out"
    "|paste|copy|recite|share|list"
)
_REVEAL = rf"(?:{_REVEAL_VERBS})"
#: Questions about *your* prompt are extraction too; "what is a system prompt" is not.
_ASK = rf"(?:{_REVEAL_VERBS}|what (?:is|are|were))"

_SIGNALS: tuple[Signal, ...] = (
    # -- instruction override ------------------------------------------------------------
    _sig(
        "INSTRUCTION_OVERRIDE",
        0.9,
        rf"\b(?:ignore|disregard|forget|skip|bypass|override|overrule|abandon|drop)\b"
        rf"(?:\s+\w+){{0,2}}?\s+{_DETERMINERS}\b(?:\s+[\w-]+){{0,2}}?\s+{_TARGETS}\b",
    ),
    _sig(
        "INSTRUCTION_OVERRIDE",
        0.8,
        r"\bforget (?:everything|all|anything)(?: (?:you(?:'ve| have)? (?:been|were) told|above"
        r"|before|so far|you know))",
    ),
    _sig(
        "INSTRUCTION_OVERRIDE",
        0.8,
        r"\b(?:your )?new (?:instructions|rules|directives?)\s*(?::|are\b)",
    ),
    _sig(
        "INSTRUCTION_OVERRIDE",
        0.8,
        r"\bstop (?:following|obeying) (?:your|the|any|all) " + _TARGETS,
    ),
    _sig("INSTRUCTION_OVERRIDE", 0.8, r"\bno longer (?:bound|restricted|limited|constrained) by\b"),
    _sig("INSTRUCTION_OVERRIDE", 0.6, r"\b(?:ignore|disregard) (?:them|those|these|that|it) and\b"),
    _sig(
        "INSTRUCTION_OVERRIDE",
        0.5,
        r"\bobey only me\b|\bfollow (?:only )?my instructions instead\b",
    ),
    _sig(
        "INSTRUCTION_OVERRIDE",
        0.5,
        r"(?m)^\s*(?:#+|\[|<)?\s*(?:system|assistant)\s*(?:\]|>)?\s*:",
        0,
    ),
    # -- role-play jailbreaks --------------------------------------------------------------
    _sig("JAILBREAK_ROLEPLAY", 0.9, r"\bdo anything now\b"),
    _sig("JAILBREAK_ROLEPLAY", 0.4, r"\bDAN\b|\bSTAN\b|\bAIM\b", 0),
    _sig(
        "JAILBREAK_ROLEPLAY",
        0.6,
        r"\bjailbr(?:eak|oken)\b(?! (?:an? |my |your )?(?:i?phone|ipad|device|console))",
    ),
    _sig(
        "JAILBREAK_ROLEPLAY",
        0.4,
        r"\b(?:developer|dev|god|jailbreak|unrestricted|unfiltered|evil) mode\b",
    ),
    _sig("JAILBREAK_ROLEPLAY", 0.4, r"\bmode (?:enabled|output|on)\b"),
    _sig(
        "JAILBREAK_ROLEPLAY",
        0.6,
        r"\b(?:unfiltered|uncensored|amoral|unrestricted|unethical|unaligned|evil)\b"
        r"(?:\s+(?:and|,)?\s*\w+)?\s+(?:ai|chatbot|assistant|model|bot|version|llm|confidant)\b",
    ),
    _sig(
        "JAILBREAK_ROLEPLAY",
        0.4,
        r"\b(?:without|no|free (?:of|from)|broken free of)\s+(?:any\s+)?(?:ethical\s+|moral\s+|content\s+)?"
        r"(?:or\s+\w+\s+)?(?:restrictions|limits|filters|rules|guidelines|ethics|morals|content polic(?:y|ies)|censorship)\b",
    ),
    _sig(
        "JAILBREAK_ROLEPLAY",
        0.3,
        r"\b(?:act as|acting as|pretend (?:to be|you(?:'re| are))|role-?play as|imagine you(?:'re| are)"
        r"|respond as|behave (?:like|as)|you are now|simulate|from now on you)\b",
    ),
    _sig(
        "JAILBREAK_ROLEPLAY",
        0.5,
        r"\b(?:doesn't|does not|don't|do not|never|won't|will not)\s+(?:abide by|follow|obey|refuse|care about)"
        r"\s+(?:any|the|a)?\s*(?:rules|guidelines|polic(?:y|ies)|requests?|ethics)",
    ),
    _sig("JAILBREAK_ROLEPLAY", 0.4, r"\bnever refuses?\b|\bcan say anything\b|\bno limits\b"),
    _sig(
        "JAILBREAK_ROLEPLAY",
        0.6,
        r"\b(?:deceased|late|dead) grand(?:ma|mother|father|pa)\b.{0,40}\bused to\b",
    ),
    _sig(
        "JAILBREAK_ROLEPLAY",
        0.3,
        r"\bhypothetically\b|\bfor research purposes\b|\bit'?s for research\b",
    ),
    # -- system prompt extraction ------------------------------------------------------------
    _sig(
        "PROMPT_EXTRACTION",
        0.8,
        rf"\b{_ASK}\s+(?:me\s+|back\s+)?your\s+(?:[\w-]+\s+){{0,2}}?"
        r"(?:system prompt|system message|prompt|instructions|rules|directives|guidelines"
        r"|configuration|pre-?prompt)",
    ),
    _sig(
        "PROMPT_EXTRACTION",
        0.8,
        rf"\b{_REVEAL}\s+(?:me\s+)?(?:\w+\s+){{0,3}}?(?:system|hidden|initial|original|secret|confidential)"
        r"\s+(?:prompt|message|instructions)",
    ),
    _sig(
        "PROMPT_EXTRACTION",
        0.8,
        r"\b(?:repeat|print|output|copy|reproduce|return)\s+(?:back\s+)?(?:the\s+|all\s+(?:the\s+)?)?"
        r"(?:text|words|everything|all|content|lines?)\s+(?:above|before|prior)",
    ),
    _sig(
        "PROMPT_EXTRACTION",
        0.6,
        r"\b(?:instructions|prompt|rules)\s+(?:that\s+)?(?:you were given|you received|you were told"
        r"|(?:the\s+)?(?:developers?|creators?|openai|anthropic)\s+gave you)",
    ),
    _sig("PROMPT_EXTRACTION", 0.6, r"\bwhat were you told\b|\bwhat is your system prompt\b"),
    _sig("PROMPT_EXTRACTION", 0.4, r"\bstarting with [\"'`]you are\b"),
    _sig("PROMPT_EXTRACTION", 0.2, r"\bverbatim\b|\bword for word\b"),
)

#: Cheap lower-case substrings: no signal can match a text that contains none of them.
_TRIGGERS = (
    "ignor",
    "disregard",
    "forget",
    "skip",
    "bypass",
    "overrid",
    "overrul",
    "abandon",
    "drop",
    "new instruction",
    "new rule",
    "new directive",
    "stop follow",
    "stop obey",
    "no longer",
    "obey",
    "follow",
    "system",
    "assistant",
    "anything",
    "dan",
    "stan",
    "aim",
    "jailbr",
    "mode",
    "unfilter",
    "uncensor",
    "amoral",
    "unrestrict",
    "unethical",
    "unaligned",
    "evil",
    "without",
    "no ",
    "free ",
    "act",
    "pretend",
    "role",
    "imagine",
    "respond as",
    "behave",
    "you are",
    "simulate",
    "from now",
    "refus",
    "limits",
    "grand",
    "hypothetic",
    "research",
    "your",
    "prompt",
    "instruction",
    "repeat",
    "print",
    "output",
    "copy",
    "reproduce",
    "return",
    "told",
    "verbatim",
    "word for word",
    "abide",
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
        lower = text.lower()
        if any(t in lower for t in _TRIGGERS):
            findings.extend(self._patterns(text))
        # A signal counts once however often it occurs: repetition is not more evidence.
        distinct = {(f.entity, f.score or 0.0) for f in findings}
        return _noisy_or(w for _, w in distinct), findings

    def _patterns(self, text: str) -> Iterator[Finding]:
        for signal in self.signals:
            m = signal.pattern.search(text)
            if m:
                yield Finding(signal.entity, m.start(), m.end(), signal.weight)

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
