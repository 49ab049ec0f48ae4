from __future__ import annotations

from application.ports.repositories import UnitOfWork
from application.ports.tokens import Identity, UserDirectory
from domain.customer import Customer


class RegisterUser:
    """Record a signed-in user on first sight (and their e-mail when it changes).

    Idempotent and safe under concurrency: the insert is `ON CONFLICT DO NOTHING`. The e-mail comes
    from the token's `email` claim, else from the user directory (Clerk's API) when configured.
    """

    def __init__(self, uow: UnitOfWork, directory: UserDirectory) -> None:
        self._uow = uow
        self._directory = directory

    async def execute(self, identity: Identity) -> Customer:
        async with self._uow as uow:
            known = await uow.customers.get(identity.user_id)
        if known is not None and (known.email == identity.email or identity.email is None):
            return known
        email = identity.email or await self._directory.email_of(identity.user_id)
        async with self._uow as uow:
            if not await uow.customers.add_if_absent(Customer(identity.user_id, email)):
                stored = await uow.customers.get(identity.user_id, for_update=True)
                if stored is not None and email and stored.email != email:
                    await uow.customers.save(stored.with_email(email))
            customer = await uow.customers.get(identity.user_id)
            await uow.commit()
        assert customer is not None
        return customer
