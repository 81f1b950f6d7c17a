"""Sales statistics: rollups kept at ingestion, and the dashboard read from them."""
