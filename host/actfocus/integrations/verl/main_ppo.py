"""verl's PPO/GRPO entry point with the ActFocus trainer: `python -m actfocus.integrations.verl.main_ppo`,
with verl's own configuration (its `ppo_trainer` defaults, every override of `python -m
verl.trainer.main_ppo`) plus an `actfocus` section (`+actfocus.env=sokoban`, optional alpha, beta, …).

verl's `run_ppo(config, task_runner_class)` takes the task runner as an argument ("for recipes to change
the TaskRunner"); this module's runner sets the workers up with verl's helpers, as verl's own v0 runner
does, and builds `ActFocusRayPPOTrainer` where that one builds `RayPPOTrainer`. It is the v0 trainer
(`trainer.use_v1=false`): verl 0.9.1's default v1 trainer moves batches through its TransferQueue, for
which no ActFocus trainer is written.
"""

from __future__ import annotations

import hydra
import ray
from omegaconf import OmegaConf
from verl.trainer.main_ppo import run_ppo
from verl.trainer.main_ppo_v0 import BaseTaskRunner
from verl.trainer.ppo.utils import create_rl_dataset, create_rl_sampler, need_critic, need_reference_policy
from verl.utils.config import validate_config
from verl.utils.device import auto_set_device

from actfocus.integrations.verl.trainer import ActFocusRayPPOTrainer, actfocus_settings


@ray.remote(num_cpus=1)
class ActFocusTaskRunner(BaseTaskRunner):
    def run(self, config):
        from verl.utils.config import omega_conf_to_dataclass
        from verl.utils.dataset.rl_dataset import collate_fn
        from verl.workers.config import HFModelConfig

        from actfocus.integrations.verl import loss as _loss  # noqa: F401  (the "actfocus" loss, in this process too)
        from actfocus.integrations.verl.ref_energy import register

        register()  # the energy engine, where the reference model is built in this process
        OmegaConf.resolve(config)
        actor_rollout_cls, worker_group_cls = self.add_actor_rollout_worker(config)
        self.add_critic_worker(config)
        self.add_reward_model_resource_pool(config)
        self.add_teacher_model_resource_pool(config)
        self.add_ref_policy_worker(config, actor_rollout_cls)
        validate_config(config=config, use_reference_policy=need_reference_policy(config), use_critic=need_critic(config))
        model: HFModelConfig = omega_conf_to_dataclass(config.actor_rollout_ref.model)
        data = config.data
        train = create_rl_dataset(data.train_files, data, model.tokenizer, model.processor, is_train=True,
                                  max_samples=data.get("train_max_samples", -1))
        val = create_rl_dataset(data.val_files, data, model.tokenizer, model.processor, is_train=False,
                                max_samples=data.get("val_max_samples", -1))
        trainer = ActFocusRayPPOTrainer(config=config, tokenizer=model.tokenizer, processor=model.processor,
                                        role_worker_mapping=self.role_worker_mapping, resource_pool_manager=self.init_resource_pool_mgr(config),
                                        ray_worker_group_cls=worker_group_cls, train_dataset=train, val_dataset=val,
                                        collate_fn=collate_fn, train_sampler=create_rl_sampler(data, train))
        trainer.init_workers()
        trainer.fit()


def check(config) -> None:
    """What must hold before Ray starts: said in one sentence each, not found in a worker's traceback."""
    if config.trainer.use_v1:
        raise SystemExit("the ActFocus trainer is verl's v0 trainer: add trainer.use_v1=false")
    if config.actor_rollout_ref.actor.policy_loss.loss_mode != "actfocus":
        raise SystemExit("the ActFocus weights are read by the actfocus policy loss: add "
                         "actor_rollout_ref.actor.policy_loss.loss_mode=actfocus")
    try:
        actfocus_settings(config)
    except ValueError as e:
        raise SystemExit(str(e)) from None


@hydra.main(config_path="pkg://verl.trainer.config", config_name="ppo_trainer", version_base=None)
def main(config) -> None:
    check(config)
    auto_set_device(config)
    run_ppo(config, task_runner_class=ActFocusTaskRunner)


if __name__ == "__main__":
    main()
