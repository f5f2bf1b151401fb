"""Exports: Anki packages (genanki) and CSV, from the same prepared notes.

generator / concept deck → notes.prepare (verified variants, stable ids) → html (fields)
→ anki.write_package or table.write_csv, each written atomically by files.atomic_write.
"""
