"""openEO errors: one exception type, the codes and HTTP statuses of the API's error list.

``raise ApiError("CollectionNotFound", identifier="S2")`` fills the message template of that code;
``message=`` replaces the template when a more precise sentence helps the user.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

# code: (HTTP status, message template). The statuses are those of the openEO API 1.2 error list.
ERRORS: dict[str, tuple[int, str]] = {
    "Internal": (500, "Internal server error, reference {reference}."),
    "NotFound": (404, "There is nothing at this address."),
    "MethodNotAllowed": (405, "Method {method} is not allowed here; allowed: {allowed}."),
    "FeatureUnsupported": (501, "This back-end does not support this feature."),
    "InfrastructureBusy": (503, "The server is overloaded, please try again later."),
    "RequestTimeout": (408, "The request took too long."),
    "JSONInvalid": (400, "The request body is not valid JSON: {reason}"),
    "RequestBodyInvalid": (400, "The request body is invalid: {reason}"),
    "ParameterInvalid": (400, "Query parameter '{parameter}' is invalid: {reason}"),
    "BudgetInvalid": (400, "The budget is too low."),
    "EstimateComplexity": (500, "An estimate cannot be given for this process."),
    "NoDataForUpdate": (400, "The request does not say what to update."),
    "PropertyNotEditable": (400, "Property '{property}' cannot be changed."),
    "CollectionNotFound": (404, "There is no collection '{identifier}'."),
    "StorageFailure": (500, "The file could not be stored; please try again later."),
    "StorageQuotaExceeded": (400, "This would exceed your storage quota."),
    "FileNotFound": (404, "There is no file '{file}'."),
    "FilePathInvalid": (400, "The file path is not valid: {reason}"),
    "FileOperationUnsupported": (400, "This file operation is not supported for this path."),
    "FolderOperationUnsupported": (400, "This operation works on files, not folders."),
    "ContentTypeInvalid": (400, "Unsupported media type; use one of: {types}"),
    "FileTypeInvalid": (400, "The file format {type} is not allowed; use one of: {types}"),
    "FileSizeExceeded": (400, "The file is too large; the maximum is {size} bytes."),
    "FileContentInvalid": (400, "The content of the file is not valid."),
    "FileLocked": (400, "File '{file}' is being written by another request."),
    "ProcessGraphNotFound": (404, "There is no user-defined process '{identifier}'."),
    "ProcessInvalid": (400, "The process is not valid."),
    "ProcessGraphMissing": (400, "The process has no process graph."),
    "ProcessGraphInvalid": (400, "The process graph is not valid: {reason}"),
    "PredefinedProcessExists": (400, "'{identifier}' is the id of a predefined process."),
    "ProcessGraphComplexity": (400, "This is too large for a synchronous request; run it as a batch job."),
    "ProcessUnsupported": (400, "Process '{process}' is not available in namespace '{namespace}'."),
    "ProcessParameterUnsupported": (400, "Process '{process}' has no parameter '{parameter}'."),
    "ProcessParameterInvalid": (
        400,
        "Invalid value for parameter '{parameter}' of process '{process}': {reason}",
    ),
    "ProcessParameterRequired": (400, "Process '{process}' needs parameter '{parameter}'."),
    "JobNotFound": (404, "There is no batch job '{identifier}'."),
    "JobLocked": (400, "The batch job is queued or running and cannot be changed now."),
    "JobNotFinished": (400, "The batch job has not finished yet."),
    "JobNotStarted": (400, "The batch job has not been started."),
    "ResultLinkExpired": (410, "This download link has expired; request the job results again."),
    "PaymentRequired": (402, "The budget is not sufficient."),
    "BillingPlanInvalid": (400, "The billing plan is not valid."),
    "AuthenticationRequired": (401, "Authentication is required."),
    "AuthenticationSchemeInvalid": (403, "This authentication method is not supported."),
    "TokenInvalid": (403, "The access token is invalid or has expired; please log in again."),
    "CredentialsInvalid": (403, "Wrong user name or password."),
    "PermissionsInsufficient": (403, "Your account may not do this."),
    "ServiceNotFound": (404, "There is no service '{identifier}'."),
    "ServiceUnsupported": (400, "Service type '{type}' is not supported."),
    "ServiceConfigUnsupported": (400, "Service parameter '{parameter}' is not supported."),
    "ServiceConfigInvalid": (400, "Invalid value for service parameter '{parameter}': {reason}"),
    # Not in the API's list: a JSON body over server.json_bytes (uploads have their own limit).
    "PayloadTooLarge": (413, "The request body is larger than {size} bytes; send large data as a file."),
    # Not in the API's list: a request naming a host that is not server.public_url or an allowed host.
    "HostNotAllowed": (400, "{reason}"),
    # Not in the API's list: too many failed logins of an account or from an address (auth/throttle.py).
    "TooManyRequests": (429, "Too many failed logins; please try again in {seconds} seconds."),
    # Not in the API's list: a user-defined function (run_udf) failed; the reason is the user's own.
    "UdfError": (400, "The user-defined function failed: {reason}"),
}


class ApiError(Exception):
    """An error a client sees as an openEO error document."""

    def __init__(self, code: str, message: str | None = None, *, status: int | None = None, **fields: Any):
        default_status, template = ERRORS.get(code, (500, "Request failed."))
        self.code = code
        self.status = status or default_status
        self.fields = fields
        self.message = message if message is not None else _fill(template, fields)
        self.id = fields.get("reference") or uuid.uuid4().hex
        self.headers: dict[str, str] = {}
        super().__init__(self.message)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "code": self.code, "message": self.message, "links": []}


def _fill(template: str, fields: dict[str, Any]) -> str:
    try:
        return template.format(**fields)
    except KeyError:  # a caller forgot a field: keep the sentence readable rather than fail
        return template.split("{")[0].rstrip(" :'") + "."


def internal_error(
    log: logging.Logger, where: str, error: BaseException | None = None, detail: str = ""
) -> ApiError:
    """An ``Internal`` error for a fault of the server, not of the request: the client learns ``where`` it
    happened (a phrase such as "Node 'x' (ndvi)") and a reference; the server log has ``detail`` and the
    traceback under that reference."""
    reference = uuid.uuid4().hex
    kind = f" ({type(error).__name__})" if error is not None else ""
    log.error("%s: internal error%s, reference %s %s", where, kind, reference, detail, exc_info=error)
    return ApiError(
        "Internal", f"{where}: internal server error{kind}, reference {reference}.", reference=reference
    )
