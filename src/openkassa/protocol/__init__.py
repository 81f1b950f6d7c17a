"""The device sync protocol: what the server and the register send each other (pydantic models).

Both programs import it, and it imports nothing else of the project, so the register can run on a
machine that has only `fiscal`, `protocol`, `money` and `ids` of it.
"""
