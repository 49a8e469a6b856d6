"""Protocol constants shared by the run-directory writer and readers (docs/protocol.md).

The field definitions live in docs/protocol.schema.json; tests validate everything the writer
produces against it and check that PROTOCOL_VERSION equals the schema's version."""

PROTOCOL_VERSION = 1
HEARTBEAT_INTERVAL_S = 2.0

# File names inside a run directory.
RUN_JSON = "run.json"
EVENTS = "events.jsonl"
HOST_LOG = "host.log"  # the host's output when the extension launches it; tracebacks of failed runs are appended
HEARTBEAT = "heartbeat.json"
TRAJ_BIN = "trajectories.bin"
TRAJ_IDX = "trajectories.idx"
CONTROL_PENDING = "control/pending"
CONTROL_DONE = "control/done"
CHECKPOINTS = "checkpoints"
SUPERSEDED = "superseded"
INIT_MODEL = "init_model"  # the warm-started initial model (also the reference) when no --model was given
FINAL_MODEL = "final_model"
EXPORTS = "exports"  # ONNX exports, one folder each (src/protocol/schema.ts FILES.exports)
