"""Throttling of password logins: per account and per client address, and a bound on hashing at once.

Each password check counts as a failure of its account name and of its address from the moment it starts
(so that parallel guesses cannot slip past the limit together) until it succeeds. Once a name or an
address has had ``limit`` failures within the window, further logins with it are refused with
``TooManyRequests`` (HTTP 429) before any password is hashed, until its oldest failure leaves the window.
A success clears the failures of its account (not of its address: one's own account must not wipe the
count of guesses at others). At most ``checks_at_once`` argon2 checks run together (each takes tens of
milliseconds of a core and 64 MiB), so a flood of logins from many addresses cannot starve other requests.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from openeo_gip.config import AuthConfig
from openeo_gip.errors import ApiError

log = logging.getLogger(__name__)

# Past this many names and addresses with failures, expired ones are dropped before another is added.
_PRUNE_ABOVE = 10_000
# A login waits at most this long for its turn to hash; then the server is busy (503).
_WAIT_SECONDS = 5.0


class LoginThrottle:
    def __init__(self, config: AuthConfig):
        self.window = config.login_window_seconds
        self.limits = {
            "account": config.login_failures_per_account,
            "address": config.login_failures_per_address,
        }
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()
        self._hashing = threading.BoundedSemaphore(config.password_checks_at_once)

    @contextmanager
    def attempt(self, name: str, address: str) -> Iterator[Callable[[], None]]:
        """Around one password check of ``name`` from ``address``: ``TooManyRequests`` before it when
        either is throttled. Yields ``succeeded``, to be called when the password was right."""
        account, client = ("account", name), ("address", address)
        with self._lock:
            now = time.monotonic()
            wait = max(self._wait(account, now), self._wait(client, now))
            if wait > 0:
                raise too_many_logins(wait)
            self._record(account, now)
            self._record(client, now)
        if not self._hashing.acquire(timeout=_WAIT_SECONDS):
            raise ApiError("InfrastructureBusy", "Too many logins at once; please try again in a moment.")
        try:
            yield lambda: self._succeeded(account, client, now)
        finally:
            self._hashing.release()

    def _wait(self, key: tuple[str, str], now: float) -> float:
        """Seconds until ``key`` may try again; 0 when it may now."""
        times = self._failures.get(key)
        while times and times[0] <= now - self.window:
            times.popleft()
        limit = self.limits[key[0]]
        if not times or len(times) < limit:
            return 0.0
        return times[-limit] + self.window - now

    def _record(self, key: tuple[str, str], now: float) -> None:
        if key not in self._failures and len(self._failures) > _PRUNE_ABOVE:
            expired = [
                k for k, times in self._failures.items() if not times or times[-1] <= now - self.window
            ]
            for old in expired:
                del self._failures[old]
        times = self._failures.setdefault(key, deque())
        times.append(now)
        if len(times) == self.limits[key[0]]:  # once per lock, not once per refused request
            log.warning(
                "login: %s %r reached %d attempts within %g s; refused for now", *key, len(times), self.window
            )

    def _succeeded(self, account: tuple[str, str], client: tuple[str, str], started: float) -> None:
        """A right password: the account's failures go; its address loses only this attempt."""
        with self._lock:
            self._failures.pop(account, None)
            times = self._failures.get(client)
            if times and started in times:
                times.remove(started)


def too_many_logins(seconds: float) -> ApiError:
    wait = max(1, math.ceil(seconds))
    error = ApiError("TooManyRequests", seconds=wait)
    error.headers["Retry-After"] = str(wait)
    return error
