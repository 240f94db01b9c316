"""The venue-agnostic core of the live envs."""
