"""ActFocus inside verl (docs/verl.md). `pip install actfocus[verl]`.

- loss.py registers the "actfocus" policy loss in verl's policy-loss registry. verl imports it by itself:
  the package lists it under verl's `verl.plugins` entry-point group, which `import verl` loads (unless
  VERL_USE_EXTERNAL_PLUGINS=none), so `actor_rollout_ref.actor.policy_loss.loss_mode=actfocus` needs no
  code change.
- weights.py builds what verl's loss signature does not carry (token roles, reference energies, ActFocus
  weights) on the driver, into the batch; plain torch, no verl import.
- logger.py writes verl runs as ActFocus run directories.
- ref_energy.py adds reference energies to verl's reference pass (a registered subclass of verl's FSDP
  engine; imports verl).

This package imports nothing itself, so weights.py and logger.py work without verl installed.
"""
