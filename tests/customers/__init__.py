"""Tests of customer lists (CSV, XLSX, SQLite)."""
