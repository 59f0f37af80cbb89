"""Pure coaching core: no Discord, database, model or scheduler imports."""
