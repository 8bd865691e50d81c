"""Reads: scoped querysets (scoping), who may do what (permissions), and the facts the
pure cores need, read from the database as plain data (frames, report inputs, case facts).
Selectors never write."""
