"""Tests of the sources layer (containers, volumes, file systems, archives)."""
