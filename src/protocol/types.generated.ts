// Generated from docs/protocol.schema.json by scripts/gen-protocol-types.mjs. Do not edit.

/**
 * Protocol version of this record.
 */
export type Version = 1;
/**
 * A run's status: live (its host is at work or paused) or final.
 */
export type Status = LiveStatus | FinalStatus;
export type LiveStatus = 'starting' | 'running' | 'paused';
export type FinalStatus = 'completed' | 'stopped' | 'failed';
/**
 * Training step the record belongs to (0 = before the first update).
 */
export type Step = number;
/**
 * Seconds since the Unix epoch.
 */
export type Time = number;
/**
 * One line of events.jsonl.
 */
export type RunEvent =
  | MetricsEvent
  | StatusEvent
  | LogEvent
  | HParamsEvent
  | AckEvent
  | ErrorEvent
  | CheckpointEvent
  | ExportEvent
  | ResumeEvent
  | ProgressEvent;
/**
 * A number; null stands for NaN or infinity, which JSON cannot hold.
 */
export type NumberOrNull = number | null;
/**
 * Id of a control request; the file name of the request without .json.
 */
export type RequestId = string;
export type ControlAction = 'set_hparams' | 'pause' | 'resume' | 'stop' | 'checkpoint' | 'export_onnx';

export interface RunDirectoryProtocol {
  run: RunInfo;
  heartbeat: Heartbeat;
  event: RunEvent;
  controlRequest: ControlRequest;
  trajectory: TrajectoryHeader;
  trajectoryIndexEntry: TrajectoryIndexEntry;
}
/**
 * run.json: what the run is. Replaced atomically (temp file + rename) whenever it changes.
 */
export interface RunInfo {
  schema_version: Version;
  id: string;
  /**
   * Every hyperparameter at start, plus model, env_config and pretrain_steps.
   */
  config: {
    [k: string]: unknown;
  };
  versions: {
    [k: string]: string;
  };
  seed?: number | null;
  status: Status;
  step: Step;
  created: Time;
  ended?: Time;
  heartbeat?: Time;
  pid: number;
  hostname: string;
  /**
   * How many times the run was resumed.
   */
  resumed?: number;
  /**
   * Why the run is in its status, as one sentence (a failure's message, a stop's cause); absent while running.
   */
  reason?: string;
  /**
   * How this start of the run computes: the device and precision that `auto` resolved to on this machine, and the GPU's name on CUDA. Written when the model is built; rewritten by each resume.
   */
  compute?: {
    device: string;
    precision: 'fp32' | 'bf16';
    device_name?: string;
  };
}
/**
 * heartbeat.json: rewritten atomically every interval_s seconds by a live host. A reader calls a running host dead when t is older than a few intervals.
 */
export interface Heartbeat {
  v: Version;
  t: Time;
  pid: number;
  hostname: string;
  interval_s: number;
  step: Step;
  phase: 'starting' | 'pretraining' | 'training' | 'evaluating' | 'paused' | 'checkpointing' | 'exporting' | 'stopping';
  progress?: PhaseProgress;
}
/**
 * How far the current phase is, as numbers (the warm start's steps, an evaluation's finished episodes); absent where a phase has none.
 */
export interface PhaseProgress {
  done: number;
  total: number;
  unit: 'steps' | 'episodes';
}
/**
 * Numbers measured at a step. Names: training metrics, eval/* (held-out evaluation), diag/* (Action-Bottleneck diagnosis, docs/method.md).
 */
export interface MetricsEvent {
  v: Version;
  t: Time;
  step: Step;
  type: 'metrics';
  /**
   * A training step's Action-Bottleneck points, one per prompt group in group order: its rollouts' reward variance and its mean reference energy over all, reasoning and action tokens (null where it has none of them). What diag/rho_* rank within the step, and diag/rho_*_pooled pools over the last diag_window steps.
   */
  diag_groups?: {
    variance: NumberOrNull[];
    energy_full: NumberOrNull[];
    energy_reasoning: NumberOrNull[];
    energy_action: NumberOrNull[];
  };
  [k: string]:
    | NumberOrNull
    | Version
    | Time
    | 'metrics'
    | {
        variance: NumberOrNull[];
        energy_full: NumberOrNull[];
        energy_reasoning: NumberOrNull[];
        energy_action: NumberOrNull[];
      }
    | undefined;
}
export interface StatusEvent {
  v: Version;
  t: Time;
  step: Step;
  type: 'status';
  status: Status;
  reason?: string;
}
export interface LogEvent {
  v: Version;
  t: Time;
  step: Step;
  type: 'log';
  level: 'debug' | 'info' | 'warning' | 'error';
  message: string;
}
/**
 * Hyperparameter values in force from this step on: all of them at start and resume, the changed ones after a set_hparams request (charts mark these).
 */
export interface HParamsEvent {
  v: Version;
  t: Time;
  step: Step;
  type: 'hparams';
  values: HparamValues;
  previous?: HparamValues;
  source: 'start' | 'resume' | 'request';
  request?: RequestId;
}
/**
 * Hyperparameter name to value; names and ranges come from host/actfocus/hparams.json.
 */
export interface HparamValues {
  [k: string]: number | string;
}
/**
 * A control request was applied.
 */
export interface AckEvent {
  v: Version;
  t: Time;
  step: Step;
  type: 'ack';
  request: RequestId;
  action: ControlAction;
  detail?: string;
}
/**
 * A control request was refused (request set), or the host failed (no request).
 */
export interface ErrorEvent {
  v: Version;
  t: Time;
  step: Step;
  type: 'error';
  message: string;
  request?: RequestId;
  action?: string;
  /**
   * The request field or hyperparameter at fault.
   */
  field?: string;
}
export interface CheckpointEvent {
  v: Version;
  t: Time;
  step: Step;
  type: 'checkpoint';
  /**
   * Relative to the run directory.
   */
  path: string;
}
export interface ExportEvent {
  v: Version;
  t: Time;
  step: Step;
  type: 'export';
  /**
   * Folder relative to the run directory: model.onnx + tokenizer.json.
   */
  path: string;
  format: 'onnx';
}
/**
 * The run resumed from the checkpoint of from_step. Records written after that checkpoint were moved, unchanged, to the superseded files; the main files hold each step once.
 */
export interface ResumeEvent {
  v: Version;
  t: Time;
  step: Step;
  type: 'resume';
  from_step: Step;
  /**
   * Files (relative) that received the moved records.
   */
  superseded: string[];
}
/**
 * Progress of a long phase outside the training steps, written as it goes: the warm start every max(1, total/200) of its steps, with the mean loss since the last one (the dashboard charts it).
 */
export interface ProgressEvent {
  v: Version;
  t: Time;
  step: Step;
  type: 'progress';
  phase: 'pretraining';
  done: number;
  total: number;
  loss?: NumberOrNull;
}
/**
 * control/pending/<id>.json, written atomically (temp file + rename) by the extension. The host applies it at the next step boundary, answers with an ack or error event and moves it to control/done/.
 */
export interface ControlRequest {
  v: Version;
  id: RequestId;
  action: ControlAction;
  t: Time;
  values?: HparamValues1;
}
/**
 * Hyperparameter name to value; names and ranges come from host/actfocus/hparams.json.
 */
export interface HparamValues1 {
  [k: string]: number | string;
}
/**
 * The JSON header of one record of trajectories.bin; the per-token columns follow it in the order of columns (docs/protocol.md).
 */
export interface TrajectoryHeader {
  v: Version;
  step: Step;
  /**
   * Trajectory index within its step.
   */
  index: number;
  /**
   * Prompt group within its step.
   */
  group: number;
  seed: number;
  env: string;
  reward: number;
  success: boolean;
  /**
   * GRPO trajectory advantage (null for PPO).
   */
  advantage?: number | null;
  /**
   * System prompt.
   */
  system: string;
  turns: Turn[];
  n_tokens: number;
  columns: Column[];
  /**
   * Tokens whose text was longer than the 65535 bytes a text entry holds: [token index, original length in bytes]; the stored text is the longest whole-character prefix that fits.
   */
  cut?: [unknown, unknown][];
}
export interface Turn {
  /**
   * The environment text the agent answered.
   */
  observation: string;
  /**
   * The agent's decoded response.
   */
  text: string;
  /**
   * First token of the turn in the per-token columns.
   */
  start: number;
  n_tokens: number;
  valid: boolean;
  reward: number;
}
export interface Column {
  name:
    | 'token_id'
    | 'role'
    | 'text'
    | 'logprob'
    | 'ref_logprob'
    | 'entropy'
    | 'ref_entropy'
    | 'energy'
    | 'weight'
    | 'advantage';
  dtype: 'u32' | 'u8' | 'f16' | 'utf8';
}
/**
 * One fixed 32-byte entry of trajectories.idx, decoded.
 */
export interface TrajectoryIndexEntry {
  offset: number;
  length: number;
  step: Step;
  group: number;
  index: number;
  reward: number;
  success: boolean;
  turns: number;
}
