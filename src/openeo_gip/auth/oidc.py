"""OpenID Connect: verify access tokens (JWTs) against the issuer's published keys.

The issuer's discovery document and key set are fetched on first use and kept for
``auth.oidc_cache_seconds``; a token signed with a key id we have not seen refreshes the key set once.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

import jwt
import requests

from openeo_gip.config import OidcProvider
from openeo_gip.errors import ApiError

log = logging.getLogger(__name__)

# The clock of an identity provider may run ahead of this server's: a token whose "issued at" or "not
# before" lies up to this far in our future is accepted. Expiry gets no such grace (checked exactly).
CLOCK_SKEW_SECONDS = 60
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]


@dataclass
class _ProviderKeys:
    issuer: str
    keys: jwt.PyJWKClient
    fetched: float


class OidcVerifier:
    def __init__(self, providers: list[OidcProvider], cache_seconds: int, timeout: float = 10.0):
        self.providers = {provider.id: provider for provider in providers}
        self.cache_seconds = cache_seconds
        self.timeout = timeout
        self._cache: dict[str, _ProviderKeys] = {}
        self._lock = threading.Lock()

    def _keys_for(self, provider: OidcProvider) -> _ProviderKeys:
        with self._lock:
            cached = self._cache.get(provider.id)
            if cached and time.monotonic() - cached.fetched < self.cache_seconds:
                return cached
        url = provider.issuer + "/.well-known/openid-configuration"
        try:
            response = requests.get(url, timeout=self.timeout)
            response.raise_for_status()
            document = response.json()
            jwks_uri = document["jwks_uri"]
        except (requests.RequestException, ValueError, KeyError) as exc:
            log.warning("OIDC discovery of %s failed: %s", provider.id, exc)
            raise ApiError(
                "TokenInvalid", "The identity provider cannot be reached to verify the token."
            ) from exc
        entry = _ProviderKeys(
            issuer=document.get("issuer", provider.issuer).rstrip("/"),
            keys=jwt.PyJWKClient(jwks_uri, cache_keys=True, lifespan=max(self.cache_seconds, 1), timeout=10),
            fetched=time.monotonic(),
        )
        with self._lock:
            self._cache[provider.id] = entry
        return entry

    def verify(self, provider_id: str, token: str) -> dict:
        """The claims of a valid token; ``TokenInvalid`` for anything else."""
        provider = self.providers.get(provider_id)
        if provider is None:
            raise ApiError("TokenInvalid", f"Unknown OIDC provider '{provider_id}'.")
        entry = self._keys_for(provider)
        audience = provider.audience or [client.id for client in provider.default_clients]
        try:
            key = entry.keys.get_signing_key_from_jwt(token)
            claims = jwt.decode(
                token,
                key=key.key,
                algorithms=ALGORITHMS,
                audience=audience or None,
                issuer=[entry.issuer, entry.issuer + "/"],
                options={"require": ["exp", "iss", "sub"], "verify_aud": bool(audience)},
                leeway=CLOCK_SKEW_SECONDS,
            )
            if int(claims["exp"]) <= time.time():
                raise jwt.ExpiredSignatureError("Signature has expired")
        except jwt.PyJWKClientError as exc:
            raise ApiError(
                "TokenInvalid", "The token was not signed by a key of the identity provider."
            ) from exc
        except jwt.ExpiredSignatureError as exc:
            raise ApiError("TokenInvalid", "The OIDC access token has expired.") from exc
        except jwt.PyJWTError as exc:
            raise ApiError("TokenInvalid", f"The OIDC access token is not valid: {exc}") from exc
        return claims
