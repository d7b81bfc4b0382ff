"""Business rules, one module per feature. Handlers call these; these call `models`."""
