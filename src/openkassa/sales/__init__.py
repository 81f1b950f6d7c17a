"""Sales: what registers upload — shifts, receipts, corrections, cash drawer operations — kept
exactly once, checked against the fiscal drive's signed bytes, quarantined when they disagree."""
