"""Trajectory records (docs/protocol.md §Trajectories): trajectories.bin + a fixed-size index.

A record is a frame: u32 payload length, u32 CRC-32 of the payload, then the payload, which is
zlib-compressed [u32 header length][header JSON][columns]. Per-token numbers are float16 (relative
error ≤ 2^-11) so a token costs ~20 bytes before compression, text included. trajectories.idx holds
one 32-byte entry per record, so a reader finds record i with one positioned read of the index and
one of the data file. The record is written (and flushed) before its index entry: after a crash the
index never points at a partial record, and a partial index entry (size not a multiple of 32) is
ignored by readers and cut off by `actfocus resume`.
"""

from __future__ import annotations

import json
import os
import random
import struct
import zlib
from dataclasses import dataclass

import numpy as np

from actfocus.registry import Registry
from actfocus.run.protocol import PROTOCOL_VERSION, TRAJ_BIN, TRAJ_IDX

FRAME = struct.Struct("<II")  # payload length, crc32
INDEX = struct.Struct("<QIIIIfHH")  # offset, length, step, group, index, reward, flags, turns
assert INDEX.size == 32
FLAG_SUCCESS = 1

# (name, dtype) in storage order. f16 columns come from the step's per-token tensors.
COLUMNS = [("token_id", "u32"), ("role", "u8"), ("text", "utf8"), ("logprob", "f16"), ("ref_logprob", "f16"),
           ("entropy", "f16"), ("ref_entropy", "f16"), ("energy", "f16"), ("weight", "f16"), ("advantage", "f16")]
NUMPY = {"u32": "<u4", "u8": "u1", "f16": "<f2"}


MAX_TEXT_BYTES = 0xFFFF  # a text entry's length is a u16


def utf8(s: str) -> bytes:
    """UTF-8 of a text; a lone surrogate (possible in text decoded from JSON) has no UTF-8 form and is stored as U+FFFD."""
    try:
        return s.encode("utf-8")
    except UnicodeEncodeError:
        return s.encode("utf-8", "surrogatepass").decode("utf-8", "replace").encode("utf-8")


def fit_text(b: bytes) -> bytes:
    """The longest prefix of UTF-8 bytes that fits a text entry and ends on a whole character."""
    if len(b) <= MAX_TEXT_BYTES:
        return b
    end = MAX_TEXT_BYTES
    while end > 0 and (b[end] & 0xC0) == 0x80:  # b[end] continues a character: cut before it starts
        end -= 1
    return b[:end]


def encode_columns(cols: dict) -> tuple[bytes, list[list[int]]]:
    """(column bytes, cut) where cut lists [token index, original byte length] of texts that were cut."""
    parts, cut = [], []
    for name, dtype in COLUMNS:
        v = cols[name]
        if dtype == "utf8":
            raw = [utf8(s) for s in v]
            kept = [fit_text(b) for b in raw]
            cut += [[i, len(b)] for i, (b, k) in enumerate(zip(raw, kept)) if len(k) != len(b)]
            parts.append(np.array([len(k) for k in kept], dtype="<u2").tobytes())
            parts.append(b"".join(kept))
        else:
            arr = np.asarray(v, dtype=np.float64 if dtype == "f16" else np.int64)
            if dtype == "f16":
                arr = np.clip(arr, -65504.0, 65504.0)  # beyond float16 range: saturate, never inf
            parts.append(arr.astype(NUMPY[dtype]).tobytes())
    return b"".join(parts), cut


def encode_record(header: dict, cols: dict) -> bytes:
    body, cut = encode_columns(cols)
    header = {**header, "columns": [{"name": n, "dtype": d} for n, d in COLUMNS]}
    if cut:  # recorded, so readers can show that (and how much of) a token's text was cut
        header["cut"] = cut
    head = utf8(json.dumps(header, ensure_ascii=False, allow_nan=False, separators=(",", ":")))
    payload = zlib.compress(struct.pack("<I", len(head)) + head + body, 6)
    return FRAME.pack(len(payload), zlib.crc32(payload)) + payload


class CorruptRecord(ValueError):
    pass


def decode_payload(payload: bytes) -> tuple[dict, dict]:
    """(header, columns) of a record's payload; anything malformed raises CorruptRecord, saying what."""
    try:
        return _decode_payload(payload)
    except CorruptRecord:
        raise
    except zlib.error as e:
        raise CorruptRecord(f"record does not decompress ({e})") from None
    except (ValueError, KeyError, TypeError, IndexError, struct.error) as e:  # json, utf-8, numpy buffer sizes, fields
        raise CorruptRecord(f"record is malformed ({type(e).__name__}: {e})") from None


def _decode_payload(payload: bytes) -> tuple[dict, dict]:
    raw = zlib.decompress(payload)
    (hlen,) = struct.unpack_from("<I", raw, 0)
    header = json.loads(raw[4 : 4 + hlen].decode("utf-8"))
    if not isinstance(header, dict) or not isinstance(header.get("n_tokens"), int) or header["n_tokens"] < 0:
        raise CorruptRecord("record header is not an object with a token count")
    n, pos, cols = header["n_tokens"], 4 + hlen, {}
    for c in header["columns"]:
        name, dtype = c["name"], c["dtype"]
        if dtype == "utf8":
            lens = np.frombuffer(raw, dtype="<u2", count=n, offset=pos)
            pos += 2 * n
            texts = []
            for ln in lens.tolist():
                texts.append(raw[pos : pos + ln].decode("utf-8", errors="replace"))
                pos += ln
            cols[name] = texts
        else:
            dt = np.dtype(NUMPY[dtype])
            cols[name] = np.frombuffer(raw, dtype=dt, count=n, offset=pos)
            pos += dt.itemsize * n
    return header, cols


@dataclass
class IndexEntry:
    offset: int
    length: int
    step: int
    group: int
    index: int
    reward: float
    success: bool
    turns: int


def read_index(path: str) -> list[IndexEntry]:
    """Complete entries only: a partial trailing entry (a write cut short) is ignored."""
    if not os.path.exists(path):
        return []
    with open(path, "rb") as f:
        data = f.read()
    out = []
    for i in range(len(data) // INDEX.size):
        o, ln, st, g, ix, r, fl, tu = INDEX.unpack_from(data, i * INDEX.size)
        out.append(IndexEntry(o, ln, st, g, ix, r, bool(fl & FLAG_SUCCESS), tu))
    return out


def read_record(bin_path: str, e: IndexEntry) -> tuple[dict, dict]:
    with open(bin_path, "rb") as f:
        f.seek(e.offset)
        frame = f.read(e.length)
    if len(frame) != e.length:
        raise CorruptRecord(f"record at {e.offset} is truncated")
    ln, crc = FRAME.unpack_from(frame, 0)
    payload = frame[FRAME.size :]
    if ln != len(payload) or zlib.crc32(payload) != crc:
        raise CorruptRecord(f"record at {e.offset} fails its checksum")
    return decode_payload(payload)


# Which trajectories of a step to store (`traj_sampling`): keeps long runs bounded.
TRAJ_SAMPLING = Registry("traj_sampling")
TRAJ_SAMPLING.register("all")(lambda trajs, k, rng: list(trajs))


@TRAJ_SAMPLING.register("k_per_step")
def _k_per_step(trajs, k: int, rng: random.Random) -> list:
    picked = rng.sample(range(len(trajs)), min(k, len(trajs)))
    return [trajs[i] for i in sorted(picked)]


@TRAJ_SAMPLING.register("best_worst")
def _best_worst(trajs, k: int, rng: random.Random) -> list:
    """Each group's best and worst rollout (one where all rewards are equal)."""
    by_group: dict[int, list] = {}
    for t in trajs:
        by_group.setdefault(t.group, []).append(t)
    out = []
    for g in sorted(by_group):
        best = max(by_group[g], key=lambda t: (t.total_reward, -t.index))  # ties: the first
        worst = min(by_group[g], key=lambda t: (t.total_reward, t.index))
        out.extend([best] if best.total_reward == worst.total_reward else [best, worst])
    return sorted(out, key=lambda t: t.index)


TRAJ_SAMPLING.register("none")(lambda trajs, k, rng: [])


def select(trajs, policy: str, k: int, rng: random.Random) -> list:
    return TRAJ_SAMPLING[policy](trajs, k, rng)


class TrajectoryStore:
    def __init__(self, run_dir: str):
        self.bin_path = os.path.join(run_dir, TRAJ_BIN)
        self.idx_path = os.path.join(run_dir, TRAJ_IDX)
        self.bin = open(self.bin_path, "ab")
        self.idx = open(self.idx_path, "ab")
        self.bin.seek(0, os.SEEK_END)

    def append(self, header: dict, cols: dict) -> None:
        frame = encode_record({"v": PROTOCOL_VERSION, **header}, cols)
        offset = self.bin.tell()
        self.bin.write(frame)
        self.bin.flush()
        flags = FLAG_SUCCESS if header["success"] else 0
        self.idx.write(INDEX.pack(offset, len(frame), header["step"], header["group"], header["index"],
                                  float(header["reward"]), flags, min(len(header["turns"]), 0xFFFF)))
        self.idx.flush()

    def sync(self) -> None:
        for f in (self.bin, self.idx):
            f.flush()
            os.fsync(f.fileno())

    def close(self) -> None:
        self.bin.close()
        self.idx.close()


def step_records(step: int, env: str, trajs, batch, lm, per_trajectory_adv: bool):
    """(header, columns) of each given trajectory from the step's scored batch (trainer.StepBatch)."""
    tok = batch.tok
    pos = {id(s): i for i, s in enumerate(batch.samples)}
    for tr in trajs:
        cols: dict[str, list] = {n: [] for n, _ in COLUMNS}
        turns, start = [], 0
        for k, s in enumerate(tr.turns):
            i = pos[id(s)]
            a, b = batch.offsets[i], batch.offsets[i] + len(s.response_ids)
            body = s.response_ids[:-1]
            text, offs = lm.token_offsets(body)
            pieces = [text[x:y] for x, y in offs] + [""]  # the end-of-turn token has no text
            cols["token_id"].extend(s.response_ids)
            cols["role"].extend(s.roles)
            cols["text"].extend(pieces)
            cols["logprob"].extend(tok["old_logprob"][a:b].tolist())
            for name in ("ref_logprob", "entropy", "ref_entropy", "energy", "weight"):
                cols[name].extend(tok[name][a:b].tolist())
            cols["advantage"].extend(tok["adv"][a:b].tolist())
            obs = tr.messages[2 * k + 1][1] if 2 * k + 1 < len(tr.messages) else ""
            turns.append({"observation": obs, "text": s.text, "start": start, "n_tokens": b - a,
                          "valid": bool(s.valid), "reward": float(s.reward)})
            start += b - a
        header = {"step": step, "index": tr.index, "group": tr.group, "seed": tr.seed, "env": env,
                  "reward": float(tr.total_reward), "success": bool(tr.success),
                  "advantage": float(cols["advantage"][0]) if per_trajectory_adv and start else None,
                  "system": tr.messages[0][1] if tr.messages else "", "turns": turns, "n_tokens": start}
        yield header, cols
