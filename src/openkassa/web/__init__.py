"""The web layer shared by every domain: layout templates, static files, HTMX helpers.

It imports no domain; domains import it.
"""
