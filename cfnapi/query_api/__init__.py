"""The HTTP side: AWS wire protocols, signatures, routing to handlers."""
