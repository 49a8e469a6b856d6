// Which PyTorch build the set-up installs (pure; unit-tested case by case). A CPU user must not pay for
// several GB of CUDA libraries they cannot use (PyPI's Linux wheel is a CUDA build), and a GPU user needs
// a build their driver can run. The driver says which CUDA it supports in `nvidia-smi`'s header.

/** What `nvidia-smi` said: not installed, failed (driver not loaded, no device…), or its output. */
export type GpuProbe =
  | { kind: 'absent' }
  | { kind: 'failed'; message: string }
  | { kind: 'ok'; stdout: string };

export interface NvidiaInfo {
  gpus: string[];
  driver?: string;
  /** The newest CUDA the driver supports, "major.minor". */
  cuda?: string;
}

/** GPU names and the driver's CUDA version from `nvidia-smi` (its default table) output. */
export function parseNvidiaSmi(stdout: string): NvidiaInfo {
  const driver = /Driver Version:\s*([\d.]+)/.exec(stdout)?.[1];
  const cuda = /CUDA Version:\s*(\d+\.\d+)/.exec(stdout)?.[1];
  // Device rows: "|   0  NVIDIA H100 80GB HBM3          On  |" (the index, then the name).
  const gpus = [...stdout.matchAll(/^\|\s+(\d+)\s+(.+?)\s{2,}(?:On|Off|WDDM|TCC|MCDM)\s+\|/gm)].map((m) => m[2]!.trim());
  return { gpus, driver, cuda };
}

/** The builds PyTorch publishes on its own index, newest first, with the CUDA each needs. */
export const CUDA_BUILDS: readonly { build: string; cuda: [number, number] }[] = [
  { build: 'cu130', cuda: [13, 0] },
  { build: 'cu128', cuda: [12, 8] },
  { build: 'cu126', cuda: [12, 6] },
];
export const TORCH_INDEX = 'https://download.pytorch.org/whl';

/** "auto" (detect), a build by name, or "pip": whatever pip is configured with (a mirror, a wheelhouse). */
export type TorchChoice = 'auto' | 'cpu' | 'cu126' | 'cu128' | 'cu130' | 'pip';
export const TORCH_CHOICES: readonly TorchChoice[] = ['auto', 'cpu', 'cu126', 'cu128', 'cu130', 'pip'];

export interface TorchPlan {
  /** "cpu", "cu126"…, or "pip" (pip's own configuration decides). */
  build: string;
  /** --index-url for the torch install; undefined: pip's configured index. */
  indexUrl?: string;
  /** Which build and why, in one sentence for the user. */
  why: string;
}

const cudaBuild = (build: string, why: string): TorchPlan => ({ build, indexUrl: `${TORCH_INDEX}/${build}`, why });

function version(v: string): [number, number] {
  const [a, b] = v.split('.').map(Number);
  return [a ?? 0, b ?? 0];
}

const atLeast = (v: [number, number], w: [number, number]) => v[0] > w[0] || (v[0] === w[0] && v[1] >= w[1]);

export function planTorch(platform: NodeJS.Platform, probe: GpuProbe, choice: TorchChoice = 'auto'): TorchPlan {
  if (choice === 'pip') return { build: 'pip', why: 'PyTorch as pip is configured to install it (setting "actfocus.setup.torch": "pip")' };
  if (platform === 'darwin') {
    // PyTorch publishes no CUDA build for macOS; PyPI's wheel runs on the CPU and Apple GPUs (MPS).
    return { build: 'pip', why: choice === 'auto' || choice === 'cpu' ? 'the macOS build from PyPI (CPU and Apple GPUs)' : `the macOS build from PyPI: PyTorch has no ${choice} build for macOS` };
  }
  if (choice === 'cpu') return cudaBuild('cpu', 'the CPU build, as set in "actfocus.setup.torch"');
  if (choice !== 'auto') return cudaBuild(choice, `the ${choice} build, as set in "actfocus.setup.torch"`);
  if (probe.kind === 'absent') return cudaBuild('cpu', 'the CPU build: no NVIDIA driver was found (nvidia-smi is not installed)');
  if (probe.kind === 'failed') {
    const first = probe.message.trim().split('\n')[0]!.slice(0, 160);
    return cudaBuild('cpu', `the CPU build: nvidia-smi found no usable GPU (${first})`);
  }
  const info = parseNvidiaSmi(probe.stdout);
  if (!info.gpus.length) return cudaBuild('cpu', 'the CPU build: nvidia-smi lists no GPU');
  const names = info.gpus.length === 1 ? info.gpus[0]! : `${info.gpus.length} GPUs (${[...new Set(info.gpus)].join(', ')})`;
  if (!info.cuda) return cudaBuild('cu126', `the CUDA 12.6 build for ${names}: the driver did not say which CUDA it supports, and 12.6 needs the oldest driver`);
  const cuda = version(info.cuda);
  const fit = CUDA_BUILDS.find((b) => atLeast(cuda, b.cuda));
  if (fit) return cudaBuild(fit.build, `the CUDA ${fit.cuda.join('.')} build for ${names} (the driver supports CUDA ${info.cuda})`);
  if (cuda[0] === 12) {
    // CUDA minor-version compatibility: a 12.x build runs on any 12.x driver (>= 525).
    return cudaBuild('cu126', `the CUDA 12.6 build for ${names}: the driver supports CUDA ${info.cuda}, and 12.x builds run on 12.x drivers (minor-version compatibility)`);
  }
  return cudaBuild('cpu', `the CPU build: the driver of ${names} supports only CUDA ${info.cuda}, older than PyTorch's CUDA builds (12.6 and newer) need; update the NVIDIA driver, then run the set-up again, to train on the GPU`);
}

/** The torch requirement of the host package (its pyproject.toml), e.g. "torch>=2.3,<3". */
export function torchRequirement(pyproject: string): string | undefined {
  return /"(torch\s*[<>=!~][^"]*)"/.exec(pyproject)?.[1]?.replace(/\s+/g, '');
}

/** pip arguments that install torch per the plan. */
export function torchInstallArgs(plan: TorchPlan, requirement: string): string[] {
  return ['-m', 'pip', 'install', requirement, ...(plan.indexUrl ? ['--index-url', plan.indexUrl] : [])];
}
