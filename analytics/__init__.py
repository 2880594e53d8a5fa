"""Domain core of the school-improvement oversight dashboard: store, importers, grade rules, metrics.

Importable and testable without Streamlit (DESIGN.md section 4).
"""
