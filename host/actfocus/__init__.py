"""ActFocus training host: multi-turn text environments, PPO/GRPO with ActFocus token weighting,
token-level energy and the Action-Bottleneck diagnostics."""

__version__ = "0.1.0"
