"""Test helpers: live servers, databases and the official OpenAPI document."""
