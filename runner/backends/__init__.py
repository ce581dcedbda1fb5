"""Backend clients and their configuration (control plane: GraphQL over httpx)."""
