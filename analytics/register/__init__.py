"""The Schools Causing Concern register: LA categorisation, interventions, reviews, audit, meeting view.

Importable without Streamlit. Read functions take the engine and a `analytics.queries.Scope` and return
DataFrames; every change goes through one function that writes the change and its audit row together.
"""

from __future__ import annotations

from analytics.register.base import Conflict, InvalidInput, RegisterError
from analytics.register.school import school_register, school_register_sections

__all__ = ["Conflict", "InvalidInput", "RegisterError", "school_register", "school_register_sections"]
