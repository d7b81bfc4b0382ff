"""Thin PTB handlers, one module per user-facing feature."""
