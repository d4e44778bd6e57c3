"""Roles and API tokens."""

from driftline.auth._tokens import ROLES, Token, allows, create, list_tokens, revoke, verify

__all__ = ["ROLES", "Token", "allows", "create", "list_tokens", "revoke", "verify"]
