"""Example mission files, shipped with the package for the demo."""
