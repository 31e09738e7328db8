"""The in-app notification centre: who is told that something happened to which case."""
