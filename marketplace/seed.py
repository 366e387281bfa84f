"""Demo data from the field facts (filled in by seed_demo)."""


def seed_demo(session) -> list[str]:
    return []
