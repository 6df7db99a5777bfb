"""What users point at by address: http(s) fetches behind the address checks, and STAC items they name."""
