from adapters.clerk.directory import ClerkUserDirectory, NullUserDirectory
from adapters.clerk.verifier import ClerkTokenVerifier

__all__ = ["ClerkTokenVerifier", "ClerkUserDirectory", "NullUserDirectory"]
