"""CLI commands of this area (registered on policykg.cli.main)."""

from __future__ import annotations
