from adapters.clerk.directory import ClerkUserDirectory, NullUserDirectory
from adapters.clerk.unconfigured import UnconfiguredTokenVerifier
from adapters.clerk.verifier import ClerkTokenVerifier

__all__ = ["ClerkTokenVerifier", "ClerkUserDirectory", "NullUserDirectory", "UnconfiguredTokenVerifier"]
