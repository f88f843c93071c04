"""Independent float64 NumPy references written from the papers' equations.

Explicit loops over anchors, pairs and triplets; nothing here imports the
toolkit, so a shared mistake cannot hide in both.
"""
