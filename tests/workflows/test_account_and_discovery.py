"""The account and discovery calls of the real openeo Python client."""

import openeo
import pytest


def test_client_reads_account_and_capabilities(connection, alice):
    account = connection.describe_account()
    assert account["user_id"] == alice.id and account["name"] == "alice"
    capabilities = connection.capabilities()
    assert capabilities.api_version() == "1.2.0"
    assert capabilities.supports_endpoint("/me", method="GET")
    assert not capabilities.supports_endpoint("/credentials/oidc")


def test_client_lists_formats_runtimes_and_services(connection):
    formats = connection.list_file_formats()
    assert {"GTiff", "netCDF", "JSON", "PNG"} <= set(formats["output"])
    assert set(connection.list_udf_runtimes()) == {"Python"}
    assert set(connection.list_service_types()) == {"XYZ", "WMTS"}


def test_client_refuses_wrong_password(server, alice):
    with pytest.raises(openeo.rest.OpenEoApiError) as error:
        openeo.connect(server.url).authenticate_basic("alice", "nope")
    assert error.value.code == "CredentialsInvalid" and error.value.http_status_code == 403
