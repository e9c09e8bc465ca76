"""Deterministic builders of sample seized evidence, shared by the tests and `workbench demo`.

Each family module writes a realistic file tree from a fixed seed and returns the figures it put
in, so tests and the demo can assert that processing finds exactly those.
"""
