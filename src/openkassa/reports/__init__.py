"""Reports: sales reports of a period and points, built as .xlsx files in the background."""
