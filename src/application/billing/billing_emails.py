"""Performers of the subscriber's billing e-mails (see `payment_emails` for what they say): each
effect's payload holds the whole message's content, so sending needs no read."""

from __future__ import annotations

from collections.abc import Mapping

from application.billing.payment_emails import (
    PAYMENT_ACTION_EMAIL,
    PAYMENT_FAILED_EMAIL,
    TRIAL_ENDING_EMAIL,
    BillingEmailSettings,
    compose_payment_action,
    compose_payment_failed,
    compose_trial_ending,
    effect_key,
)
from application.outbox import Performer
from application.ports.email import EmailSender
from application.ports.money_formatter import MoneyFormatter


class BillingEmails:
    def __init__(self, email: EmailSender, money: MoneyFormatter, settings: BillingEmailSettings) -> None:
        self._email = email
        self._money = money
        self._settings = settings

    def performers(self) -> dict[str, Performer]:
        return {
            PAYMENT_FAILED_EMAIL: self.payment_failed,
            PAYMENT_ACTION_EMAIL: self.payment_action,
            TRIAL_ENDING_EMAIL: self.trial_ending,
        }

    async def payment_failed(self, payload: Mapping[str, str], known: object = None) -> None:
        key = effect_key(PAYMENT_FAILED_EMAIL, payload)
        await self._email.send(compose_payment_failed(payload, key, self._money, self._settings))

    async def payment_action(self, payload: Mapping[str, str], known: object = None) -> None:
        key = effect_key(PAYMENT_ACTION_EMAIL, payload)
        await self._email.send(compose_payment_action(payload, key, self._money, self._settings))

    async def trial_ending(self, payload: Mapping[str, str], known: object = None) -> None:
        key = effect_key(TRIAL_ENDING_EMAIL, payload)
        await self._email.send(compose_trial_ending(payload, key, self._settings))
