"""Operations: health checks, logging, production safety, backups and the integrity audit."""
