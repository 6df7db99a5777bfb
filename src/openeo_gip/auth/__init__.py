"""Who is calling: password hashing, basic-login tokens, OIDC tokens and the login decorators."""
