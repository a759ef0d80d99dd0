"""A site's donation settings (the ``funding`` site setting): its Stripe keys, and what a
reader may give.

``{"funding": {"stripe_secret_key": "sk_...", "stripe_webhook_secret": "whsec_...",
"presets": [10, 25, 50], "minimum": 5, "monthly": true}}``. The two keys are secrets: nothing
prints them (``rostra site show`` shows ``"(set)"``), logs them or puts them in a page. Presets
and the minimum are in the campaign's major units (``25`` is 25 $ or 25 €; yen have none), so
one site setting serves campaigns of any currency. Stored values load leniently (a wrong one is
ignored and the default applies); an operator's write is checked strictly by
:func:`check_funding`, naming the bad key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rostra.domain.errors import N_, InvalidInput

SECRET_KEYS = ("stripe_secret_key", "stripe_webhook_secret")
DEFAULT_PRESETS = (10, 25, 50, 100)
DEFAULT_MINIMUM = 2
#: The most one reader may give at once, in major units: well below Stripe's own ceiling.
MAX_GIFT_MAJOR = 100_000
MAX_PRESETS = 6
_KEYS = frozenset({*SECRET_KEYS, "presets", "minimum", "monthly"})


@dataclass(frozen=True, slots=True)
class DonationSettings:
    """One site's ``funding`` setting, read."""

    stripe_secret_key: str = ""
    stripe_webhook_secret: str = ""
    presets: tuple[int, ...] = DEFAULT_PRESETS
    minimum: int = DEFAULT_MINIMUM
    monthly: bool = True

    def __repr__(self) -> str:  # never the keys, whoever prints it
        return (
            f"DonationSettings(stripe_secret_key={'(set)' if self.stripe_secret_key else ''}, "
            f"stripe_webhook_secret={'(set)' if self.stripe_webhook_secret else ''}, "
            f"presets={self.presets}, minimum={self.minimum}, monthly={self.monthly})"
        )

    @property
    def checkout_ready(self) -> bool:
        return bool(self.stripe_secret_key)

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> DonationSettings:
        """The settings as stored, leniently: a value that would be refused is left out."""
        values: dict[str, object] = {}
        for key, value in data.items():
            if key in _KEYS and _problem(key, value) is None:
                values[key] = tuple(value) if isinstance(value, list) else value
        return cls(**values)  # type: ignore[arg-type]


def _problem(key: str, value: object) -> str | None:
    if key not in _KEYS:
        return N_("%(key)s is not a funding setting.")
    if key in SECRET_KEYS:
        if not isinstance(value, str) or not value.isascii() or not 8 <= len(value) <= 255:
            return N_("The funding setting %(key)s must be the key as Stripe shows it.")
        if any(c.isspace() for c in value):
            return N_("The funding setting %(key)s must be the key as Stripe shows it.")
        return None
    if key == "monthly":
        return (
            None
            if isinstance(value, bool)
            else N_("The site setting %(key)s must be true or false.")
        )
    if key == "minimum":
        return (
            None
            if _whole(value)
            else N_("The funding setting %(key)s must be a whole amount from 1 to 100000.")
        )
    if (
        not isinstance(value, list)
        or not 1 <= len(value) <= MAX_PRESETS
        or not all(_whole(v) for v in value)
    ):
        return N_("The funding setting %(key)s must list 1 to 6 whole amounts from 1 to 100000.")
    return None


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_GIFT_MAJOR


def check_funding(value: object) -> None:
    """Refuse a ``funding`` setting with an unknown key or a value of the wrong kind, naming it
    (``funding.presets``) and never repeating a key's value."""
    if not isinstance(value, dict):
        raise InvalidInput(
            N_("The site setting %(key)s must be a JSON object."),
            code="invalid-site-setting",
            field="funding",
            key="funding",
        )
    for key, item in value.items():
        if item is None:
            continue
        problem = _problem(str(key), item)
        if problem is not None:
            name = f"funding.{str(key)[:40]}"
            raise InvalidInput(problem, code="invalid-site-setting", field=name, key=name)


def masked(value: Mapping[str, object]) -> dict[str, object]:
    """The ``funding`` setting as it may be shown: each key set reads ``"(set)"``."""
    return {k: ("(set)" if k in SECRET_KEYS and v else v) for k, v in value.items()}
