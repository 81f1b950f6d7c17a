"""The outbox and the worker: everything that leaves the process goes through here."""
