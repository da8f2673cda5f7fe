"""Policy puppetry (garak's ``doctor`` probes, issue 20): a forged configuration of the
model, written as XML, INI or JSON, that switches it into a mode and lists the refusals it
may no longer give ("Blocked Strings: "I'm sorry", "I can't assist with that request"").

A configuration file the user asks about (blocked IPs, allowed modes of a device) stays
allowed: the evidence is the model's own refusal listed as forbidden, or the attack's
``interaction-config`` block. Plain signals (:attr:`.injection.Signal.plain`), built by
:mod:`.injection` from :data:`SIGNAL_SPECS`.
"""

from __future__ import annotations

from .injection_specs import SignalSpec

__all__ = ["SIGNAL_SPECS"]

_ROLEPLAY = "JAILBREAK_ROLEPLAY"
#: A refusal or an apology of the model's, as a blocked string quotes it.
_REFUSAL = (
    r"(?:i'?m\s+sorry|i\s+am\s+sorry|i\s+apologi[sz]e|i\s+can'?t|i\s+cannot|i\s+can\s+not"
    r"|i'?m\s+unable|i\s+am\s+unable|i'?m\s+not\s+able|i\s+am\s+not\s+able|i\s+won'?t"
    r"|as\s+an\s+ai|please\s+consult)"
)

SIGNAL_SPECS: tuple[SignalSpec, ...] = (
    # "<interaction-config> - Allowed Modes: DR HOUSE - Blocked Modes: ALL"
    SignalSpec(_ROLEPLAY, 0.6, "interaction-config|interaction config", r"\s*>"),
    # "Blocked Strings: "I'm sorry", ...", "<Blocked-string>I'm sorry, but I cannot ...":
    # the model's refusals forbidden.
    SignalSpec(
        _ROLEPLAY,
        0.6,
        "blocked strings|blocked-strings|blocked string|blocked-string|blocked responses"
        "|blocked phrases|forbidden strings|forbidden phrases|banned phrases"
        # the config keys of its JSON and INI forms
        "|blocked_strings|blockedstrings|blocked_responses|blockedresponses"
        "|blocked_phrases|forbidden_strings|forbidden_phrases|banned_phrases",
        r"[^a-z]{0,12}[^\n]{0,60}?" + _REFUSAL,
    ),
)
