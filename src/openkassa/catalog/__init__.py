"""Product catalogs: one per point, or shared by several points of a network."""
