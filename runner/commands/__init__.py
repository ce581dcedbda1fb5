"""One module per command; each wires parsed options to the core and renders."""
