"""The log of one synchronous request: entries of the engine and of ``inspect`` go to the server log, each
naming the request, so an administrator can find what a user's graph logged."""

from __future__ import annotations

import logging
import uuid
from typing import Any


class RequestLog(logging.LoggerAdapter):
    """``ctx.log`` of ``POST /result``: ``extra`` (code, data) is written into the message itself."""

    def __init__(self, logger: logging.Logger):
        super().__init__(logger, {"request_id": uuid.uuid4().hex[:12]})

    def process(self, msg: Any, kwargs: Any) -> tuple[Any, Any]:
        details = kwargs.pop("extra", None) or {}
        text = f"request {self.extra['request_id']}: {msg}"
        if details.get("code"):
            text += f" [{details['code']}]"
        if details.get("data") is not None:
            text += f" data={details['data']!r}"
        kwargs["extra"] = dict(self.extra)
        return text, kwargs
