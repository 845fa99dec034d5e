"""Plugins for cfnapi's single-machine OpenStack test box (never for a real cloud)."""
