"""Shared pytest configuration: makes the ``simulator`` fixture available to every test."""

from .simulator.pytest_plugin import simulator  # noqa: F401  pylint: disable=unused-import
