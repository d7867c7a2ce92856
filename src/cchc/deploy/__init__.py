"""The docker-compose deployment's tooling (docker-compose.yml at the repository root)."""
