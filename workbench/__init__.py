"""isop-workbench: forensic workbench for online-piracy investigations."""

__version__ = "0.1.0"
