"""The Guardian: policies that check every model call before it is sent and after it
returns — personal data, credentials, prompt injection, blocked terms, limits and
budgets, access control, optional moderation, and the user's own policies.

```python
from orchestration_kernel.guardian import Guardian, GuardContext

guardian = Guardian(blocked_terms=["project falcon"], session_budget_usd=5.0)
guardian.add_policy(lambda text, ctx: "block" if "DROP TABLE" in text else None, name="no-sql")
verdict = await guardian.check_input(prompt, GuardContext(model="openai:gpt-4o-mini"))
verdict.action, verdict.text, verdict.decisions
```
"""

from .access import AccessControlPolicy
from .config import BUILTIN_POLICIES, DEFAULT_MAX_TEXT_CHARS, OPT_IN_POLICIES, GuardianConfig
from .context import GuardContext, Stage, Verdict, strictest
from .guardian import Guardian
from .identity import AccessPolicy, AccessRule, Identity, model_matches
from .injection import InjectionDetector, InjectionPolicy
from .injection_model import CLASSIFIER_PROMPT, InjectionModelPolicy
from .limits import LimitsPolicy, SpendLedger, estimate_tokens
from .moderation import ModerationPolicy
from .monitor import Event, OutputMonitor
from .pii import PII_ENTITIES, PIIDetector, PIIPolicy, iban_valid, luhn_valid, ssn_valid
from .policy import BasePolicy, FunctionPolicy, Outcome, Policy, PolicyResult, as_policy
from .redaction import Finding, Operator, Redactor, apply_findings, mask_value
from .secrets import SECRET_ENTITIES, SecretDetector, SecretsPolicy, shannon_entropy
from .terms import TermsPolicy

__all__ = [
    "BUILTIN_POLICIES",
    "CLASSIFIER_PROMPT",
    "DEFAULT_MAX_TEXT_CHARS",
    "OPT_IN_POLICIES",
    "PII_ENTITIES",
    "SECRET_ENTITIES",
    "AccessControlPolicy",
    "AccessPolicy",
    "AccessRule",
    "BasePolicy",
    "Event",
    "Finding",
    "FunctionPolicy",
    "GuardContext",
    "Guardian",
    "GuardianConfig",
    "Identity",
    "InjectionDetector",
    "InjectionModelPolicy",
    "InjectionPolicy",
    "LimitsPolicy",
    "ModerationPolicy",
    "Operator",
    "Outcome",
    "OutputMonitor",
    "PIIDetector",
    "PIIPolicy",
    "Policy",
    "PolicyResult",
    "Redactor",
    "SecretDetector",
    "SecretsPolicy",
    "SpendLedger",
    "Stage",
    "TermsPolicy",
    "Verdict",
    "apply_findings",
    "as_policy",
    "estimate_tokens",
    "iban_valid",
    "luhn_valid",
    "mask_value",
    "model_matches",
    "shannon_entropy",
    "ssn_valid",
    "strictest",
]
