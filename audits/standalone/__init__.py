"""Scripts handed to outsiders as text and run with nothing but Python 3 (python3 -I):
they import nothing from CaseAssure, so anyone can re-check a sample or a report."""
