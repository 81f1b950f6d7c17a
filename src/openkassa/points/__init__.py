"""Retail points, their register settings, activation codes, devices (registers) and cashiers."""
