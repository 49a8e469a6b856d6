"""The text environments as a verl agent loop (actfocus.integrations.verl.agent_loop), run through verl's
own pieces on the CPU: the loop is built from our YAML entry by hydra as verl's AgentLoopWorker builds it,
its dataset rows go through parquet and verl's RLHFDataset, and its tokens through verl's Continuous Token
builder. verl's rollout server (vLLM/SGLang) cannot run here; in its place two policies answer verl's
`generate` call: the environment's expert, and a real (random) Qwen2 model sampling with Hugging Face."""

from __future__ import annotations

import asyncio
import json

import hydra
import pytest
import torch
from omegaconf import OmegaConf
from test_policy import tiny_hf_model
from verl.experimental.agent_loop.agent_loop import DictConfigWrap, ToolListWrap
from verl.utils.dataset.rl_dataset import RLHFDataset
from verl.workers.rollout.replica import TokenOutput

from actfocus.envs import make_env
from actfocus.integrations.verl.agent_loop import AGENT_LOOP_CONFIG, NAME, dataset_rows, write_parquet

ENV, ENV_CONFIG = "frozenlake", {"is_slippery": False, "max_turns": 4}
_, TOK = tiny_hf_model()


class ExpertServer:
    """Plays the environment's expert through verl's server call: it keeps its own copy of the episode
    and answers each turn with the expert's next actions (as many as a turn may hold)."""

    def __init__(self, seed: int):
        self.env = make_env(ENV, **ENV_CONFIG)
        self.env.reset(seed)
        self.texts: list[str] = []

    async def generate(self, request_id, prompt_ids, sampling_params, **kwargs) -> TokenOutput:
        actions = " || ".join(self.env.expert_actions()[: self.env.config.max_actions_per_turn])
        text = f"<think>the expert goes {actions}</think><answer>{actions}</answer>"
        self.env.step(text)
        self.texts.append(text)
        return TokenOutput(token_ids=TOK.encode(text) + [TOK.eos_token_id])


class SamplingServer:
    """A real causal LM sampling each turn (a random Qwen2: its turns are not valid actions)."""

    def __init__(self, max_new_tokens: int):
        self.model, self.max_new_tokens = tiny_hf_model()[0], max_new_tokens
        self.outputs: list[list[int]] = []

    async def generate(self, request_id, prompt_ids, sampling_params, **kwargs) -> TokenOutput:
        torch.manual_seed(len(self.outputs))
        ids = torch.tensor([prompt_ids])
        out = self.model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=True, temperature=sampling_params["temperature"],
                                  max_new_tokens=self.max_new_tokens, pad_token_id=TOK.pad_token_id, eos_token_id=TOK.eos_token_id)
        self.outputs.append(out[0, ids.shape[1]:].tolist())
        return TokenOutput(token_ids=self.outputs[-1])


def play(server, item, response_length=1024):
    """One episode through the agent loop as verl's AgentLoopWorker runs it: built inside the running event
    loop from our YAML registry entry by hydra, then `run` with the dataset item as keyword arguments."""

    async def episode():
        (entry,) = [e for e in OmegaConf.load(AGENT_LOOP_CONFIG) if e.name == NAME]
        config = OmegaConf.create({"actor_rollout_ref": {"rollout": {"prompt_length": 2048, "response_length": response_length}}, "data": {}})
        agent = hydra.utils.instantiate(entry, trainer_config=DictConfigWrap(config=config), server_manager=server, tokenizer=TOK,
                                        processor=None, hf_model_type=None, dataset_cls=RLHFDataset,
                                        data_config=DictConfigWrap(config.data), tools=ToolListWrap([]))
        return await agent.run({"temperature": 1.0}, **item)

    return asyncio.run(episode())


@pytest.fixture(scope="module")
def items(tmp_path_factory):
    """Dataset items exactly as verl's RLHFDataset hands them to an agent loop, from our parquet rows."""
    path = tmp_path_factory.mktemp("verl-data") / "train.parquet"
    write_parquet(dataset_rows(ENV, ENV_CONFIG, [3, 5, 8], "train"), path)
    ds = RLHFDataset(str(path), TOK, OmegaConf.create({"max_prompt_length": 2048, "cache_dir": str(path.parent)}))
    return [ds[i] for i in range(len(ds))]


def spans(mask: list[int]) -> list[tuple[int, int, int]]:
    """(value, start, end) of each run of equal mask values."""
    out, start = [], 0
    for i in range(1, len(mask) + 1):
        if i == len(mask) or mask[i] != mask[start]:
            out.append((mask[start], start, i))
            start = i
    return out


def test_dataset_rows_reach_the_loop_through_verls_dataset(items):
    item = items[1]
    assert item["agent_name"] == NAME and item["data_source"] == f"actfocus/{ENV}"
    spec = item["extra_info"]["actfocus_env"]
    assert spec["seed"] == 5 and json.loads(spec["config"]) == ENV_CONFIG
    env = make_env(ENV, **ENV_CONFIG)
    assert [m["content"] for m in item["raw_prompt"]] == [env.system_prompt(), env.reset(5)]


def test_the_expert_solves_the_episode_and_the_tokens_are_the_conversation(items):
    item = items[2]
    server = ExpertServer(item["extra_info"]["actfocus_env"]["seed"])
    out = play(server, item)
    reference = make_env(ENV, **ENV_CONFIG)
    reference.reset(8)
    expected = sum(reference.step(t)[1] for t in server.texts)
    assert out.extra_fields["success"] == 1.0 and out.reward_score == pytest.approx(expected) and out.reward_score > 0
    turns = len(server.texts)
    assert turns >= 2 and out.extra_fields["env_turns"] == turns and out.num_turns == 2 * turns + 1
    # The prompt is the chat-templated system prompt and first observation; the response alternates the
    # model's turns (mask 1, exactly the expert's tokens) and the environment's answers (mask 0).
    assert TOK.decode(out.prompt_ids) == TOK.apply_chat_template(item["raw_prompt"], tokenize=False, add_generation_prompt=True)
    assert len(out.response_ids) == len(out.response_mask)
    runs = spans(out.response_mask)
    model_runs = [(s, e) for v, s, e in runs if v == 1]
    assert len(model_runs) == turns and [v for v, _, _ in runs] == [1, 0] * (turns - 1) + [1]
    for (s, e), text in zip(model_runs, server.texts):
        assert out.response_ids[s:e] == TOK.encode(text) + [TOK.eos_token_id]
    replay = make_env(ENV, **ENV_CONFIG)
    replay.reset(8)
    for (v, s, e), text in zip([r for r in runs if r[0] == 0], server.texts):
        observation = replay.step(text)[0]
        assert observation in TOK.decode(out.response_ids[s:e])  # the environment's own words, in the chat template


def test_a_sampling_model_plays_every_turn_and_its_invalid_turns_cost_the_format_penalty(items):
    server = SamplingServer(max_new_tokens=12)
    out = play(server, items[0])
    reference = make_env(ENV, **ENV_CONFIG)
    reference.reset(3)
    rewards = [reference.step(TOK.decode([t for t in o if t != TOK.eos_token_id]))[1] for o in server.outputs]
    assert len(server.outputs) == ENV_CONFIG["max_turns"] and out.extra_fields["success"] == 0.0
    assert out.reward_score == pytest.approx(sum(rewards)) and out.reward_score < 0  # the format penalty, each turn
    model_runs = [(s, e) for v, s, e in spans(out.response_mask) if v == 1]
    assert [out.response_ids[s:e] for s, e in model_runs] == server.outputs


def test_the_response_stops_at_verls_response_length(items):
    out = play(SamplingServer(max_new_tokens=12), items[0], response_length=30)
    assert len(out.response_ids) == len(out.response_mask) == 30


@pytest.mark.parametrize("extra, says", [
    ({}, "extra_info has no actfocus_env"),
    ({"actfocus_env": {"env": "frozenlake"}}, "extra_info has no actfocus_env"),
    ({"actfocus_env": {"env": "chess", "config": "{}", "seed": 1}}, "unknown environment 'chess'"),
    ({"actfocus_env": {"env": "frozenlake", "config": '{"slippery": true}', "seed": 1}}, "frozenlake: invalid configuration"),
    ({"actfocus_env": {"env": "frozenlake", "config": "{not json", "seed": 1}}, "Expecting property name"),
])
def test_a_row_that_names_no_playable_episode_is_refused_with_the_reason(items, extra, says):
    row = {**items[0], "extra_info": extra, "index": 7}
    with pytest.raises(ValueError, match="dataset row 7 \\(actfocus/frozenlake\\)") as e:
        play(ExpertServer(3), row)
    assert says in str(e.value)
