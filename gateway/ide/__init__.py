"""GraphiQL served offline: pinned browser assets and the page that loads them."""
