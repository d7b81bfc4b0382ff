"""The delegate profile: which fields, in which order, and how each is checked."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from bot.i18n import N_


class Field(StrEnum):
    FULL_NAME = "full_name"
    ORGANISATION = "organisation"
    TITLE = "title"
    EMAIL = "email"
    PHONE = "phone"
    DIETARY = "dietary"
    ACCESSIBILITY = "accessibility"
    ARRIVAL = "arrival"
    DEPARTURE = "departure"
    HOTEL = "hotel"


@dataclass(frozen=True)
class FieldSpec:
    field: Field
    label: str  # N_() message id
    prompt: str  # N_() message id
    required: bool
    asked: bool  # asked during registration; the others are only editable later
    max_length: int


FIELDS: dict[Field, FieldSpec] = {
    spec.field: spec
    for spec in (
        FieldSpec(Field.FULL_NAME, N_("Full name"), N_("What is your full name?"), True, True, 120),
        FieldSpec(
            Field.ORGANISATION,
            N_("Organisation"),
            N_("Which organisation do you represent?"),
            True,
            True,
            160,
        ),
        FieldSpec(Field.TITLE, N_("Job title"), N_("What is your job title?"), False, False, 160),
        FieldSpec(
            Field.EMAIL,
            N_("Email"),
            N_("Your email address? (for example name@company.com)"),
            True,
            True,
            254,
        ),
        FieldSpec(
            Field.PHONE,
            N_("Phone"),
            N_(
                "Your mobile number, with the country code (for example +1 514 555 0123), "
                "or tap the button to share your Telegram number."
            ),
            True,
            True,
            32,
        ),
        FieldSpec(
            Field.DIETARY,
            N_("Dietary needs"),
            N_("Any dietary needs (vegetarian, allergies…)? Tap Skip if none."),
            False,
            True,
            500,
        ),
        FieldSpec(
            Field.ACCESSIBILITY,
            N_("Accessibility needs"),
            N_("Any accessibility needs we should plan for? Tap Skip if none."),
            False,
            True,
            500,
        ),
        FieldSpec(
            Field.ARRIVAL,
            N_("Arrival"),
            N_("Your arrival: flight or train, date and time. Tap Skip if you do not know yet."),
            False,
            True,
            500,
        ),
        FieldSpec(
            Field.DEPARTURE,
            N_("Departure"),
            N_("Your departure: flight or train, date and time. Tap Skip if you do not know yet."),
            False,
            True,
            500,
        ),
        FieldSpec(Field.HOTEL, N_("Hotel"), N_("Where are you staying?"), False, False, 500),
    )
}

ASKED_IN_ORDER: tuple[Field, ...] = tuple(f for f, spec in FIELDS.items() if spec.asked)


class InvalidValue(ValueError):
    """The value was refused; `message` is an N_() message id explaining what to send instead."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message)
        self.message = message
        self.params = params


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean_text(text: str) -> str:
    """Normalise Unicode, drop control characters and collapse runs of spaces."""
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub("", text)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line).strip()


def next_field(after: Field | None) -> Field | None:
    """The field asked after `after` during registration (None: the summary comes next)."""
    if after is None:
        return ASKED_IN_ORDER[0]
    index = ASKED_IN_ORDER.index(after) + 1 if after in ASKED_IN_ORDER else len(ASKED_IN_ORDER)
    return ASKED_IN_ORDER[index] if index < len(ASKED_IN_ORDER) else None


def validate(field: Field, raw: str) -> str:
    """Return the value to store, or raise InvalidValue."""
    spec = FIELDS[field]
    value = clean_text(raw)
    if not value:
        raise InvalidValue(N_("That was empty. Please type an answer."))
    if len(value) > spec.max_length:
        raise InvalidValue(N_("That is too long: %(max)s characters at most."), max=spec.max_length)
    if field == Field.FULL_NAME:
        if "\n" in value or sum(c.isalpha() for c in value) < 2:
            raise InvalidValue(
                N_("Please type your first and last name, for example Marie Tremblay.")
            )
    elif field == Field.ORGANISATION:
        if "\n" in value or not any(c.isalnum() for c in value):
            raise InvalidValue(N_("Please type the name of your organisation."))
    elif field == Field.EMAIL:
        return _validate_email(value)
    elif field == Field.PHONE:
        return normalise_phone(value)
    return value


def _validate_email(value: str) -> str:
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        raise InvalidValue(
            N_("That does not look like an email address. Please type it like name@company.com.")
        ) from None
    return str(result.normalized)


def normalise_phone(value: str) -> str:
    """E.164 form of a phone number typed or shared; a number needs its country code."""
    candidate = value.strip()
    if candidate.startswith("00"):
        candidate = "+" + candidate[2:]
    elif candidate and candidate[0].isdigit() and len(re.sub(r"\D", "", candidate)) > 10:
        candidate = "+" + candidate  # Telegram shares contacts without the plus sign
    try:
        number = phonenumbers.parse(candidate, None)
    except phonenumbers.NumberParseException:
        raise InvalidValue(
            N_(
                "That does not look like a phone number. Please include the country code, "
                "for example +1 514 555 0123 or +33 6 12 34 56 78."
            )
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidValue(
            N_(
                "That does not look like a phone number. Please include the country code, "
                "for example +1 514 555 0123 or +33 6 12 34 56 78."
            )
        )
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def display_value(field: Field, value: str | None) -> str | None:
    """How a stored value reads on a phone: phone numbers grouped, the rest as typed."""
    if value and field == Field.PHONE:
        try:
            number = phonenumbers.parse(value, None)
        except phonenumbers.NumberParseException:
            return value
        return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL))
    return value
