"""The fiscal core: ФФД 1.2 documents, their TLV and JSON forms, receipt arithmetic and a
software fiscal drive. A pure library: it imports nothing of the project but `money`.

Its reference is shared/reference/ffd-1.2.md. Facts that reference marks UNCONFIRMED are kept
in `unconfirmed.py`, so they can be corrected in one place.
"""
