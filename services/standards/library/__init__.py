"""The catalogue of published equipment models (package data) and the builders it is written with."""

from services.standards.library.catalogue import CATALOGUE

__all__ = ["CATALOGUE"]
