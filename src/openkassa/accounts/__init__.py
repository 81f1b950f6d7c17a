"""Accounts: companies, their users and roles, sign-up, e-mail confirmation, sessions, plans."""
