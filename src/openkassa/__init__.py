"""OpenKassa: open back office and cashier app for Russian online cash registers."""

__version__ = "0.1.0"
