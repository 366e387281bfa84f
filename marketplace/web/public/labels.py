"""Catalog words, kept here for callers not yet reading them from marketplace.labels."""

from ...labels import CATEGORY_LABELS

__all__ = ["CATEGORY_LABELS"]
