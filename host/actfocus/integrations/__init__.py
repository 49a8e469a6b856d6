"""Integrations with existing RL engines (optional extras): see docs/verl.md."""
