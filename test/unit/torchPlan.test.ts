// Which PyTorch build the set-up installs, for each GPU situation it can meet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseNvidiaSmi, planTorch, torchInstallArgs, torchRequirement, TORCH_CHOICES, type GpuProbe } from '../../src/launch/torchPlan';

/** nvidia-smi's default table as drivers print it (names and versions varied per case). */
function smi(cuda: string | undefined, rows: [string, string][], driver = '550.54.15'): GpuProbe {
  const head = `| NVIDIA-SMI ${driver}              Driver Version: ${driver}      ${cuda ? `CUDA Version: ${cuda}` : ''}     |`;
  const body = rows.map(([i, name], k) => [
    `|   ${i}  ${name.padEnd(30)}${k % 2 ? 'Off' : 'On '}  |   00000000:19:00.0 Off |                    0 |`,
    '| N/A   32C    P0             70W /  700W |       1MiB /  81559MiB |      0%      Default |',
  ].join('\n'));
  return { kind: 'ok', stdout: ['+------+', head, '|=====+', ...body, '+------+', '| Processes: |', '|  No running processes found |'].join('\n') };
}

test('no NVIDIA driver: the CPU build, from PyTorch\'s CPU index, saying why', () => {
  const p = planTorch('linux', { kind: 'absent' });
  assert.deepEqual(p, { build: 'cpu', indexUrl: 'https://download.pytorch.org/whl/cpu', why: 'the CPU build: no NVIDIA driver was found (nvidia-smi is not installed)' });
  assert.equal(planTorch('win32', { kind: 'absent' }).build, 'cpu');
});

test('nvidia-smi present but failing (no driver loaded, no device): the CPU build, quoting it', () => {
  const p = planTorch('linux', { kind: 'failed', message: "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\nMake sure that the latest NVIDIA driver is installed and running." });
  assert.equal(p.build, 'cpu');
  assert.match(p.why, /nvidia-smi found no usable GPU \(NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver\.\)$/);
});

test('a driver that lists no GPU: the CPU build', () => {
  assert.equal(planTorch('linux', smi('12.4', [])).why, 'the CPU build: nvidia-smi lists no GPU');
});

test('the newest build the driver can run, per its CUDA version', () => {
  const cases: [string, string][] = [['13.0', 'cu130'], ['13.1', 'cu130'], ['12.9', 'cu128'], ['12.8', 'cu128'], ['12.6', 'cu126'], ['12.7', 'cu126']];
  for (const [cuda, build] of cases) {
    const p = planTorch('linux', smi(cuda, [['0', 'NVIDIA H100 80GB HBM3']]));
    assert.equal(p.build, build, cuda);
    assert.equal(p.indexUrl, `https://download.pytorch.org/whl/${build}`);
    assert.match(p.why, new RegExp(`for NVIDIA H100 80GB HBM3 \\(the driver supports CUDA ${cuda.replace('.', '\\.')}\\)$`));
  }
});

test('an older 12.x driver gets the 12.6 build (minor-version compatibility); 11.x gets the CPU build and the fix', () => {
  const old12 = planTorch('linux', smi('12.2', [['0', 'Tesla T4']], '535.104.05'));
  assert.equal(old12.build, 'cu126');
  assert.match(old12.why, /supports CUDA 12\.2, and 12\.x builds run on 12\.x drivers/);
  const cuda11 = planTorch('linux', smi('11.4', [['0', 'Tesla V100-SXM2-16GB']], '470.82.01'));
  assert.equal(cuda11.build, 'cpu');
  assert.match(cuda11.why, /supports only CUDA 11\.4.*update the NVIDIA driver/);
});

test('several GPUs are named once each; a header without a CUDA version gets the 12.6 build', () => {
  const p = planTorch('linux', smi('12.8', [['0', 'NVIDIA A100-SXM4-80GB'], ['1', 'NVIDIA A100-SXM4-80GB'], ['2', 'NVIDIA L4']]));
  assert.match(p.why, /for 3 GPUs \(NVIDIA A100-SXM4-80GB, NVIDIA L4\)/);
  assert.equal(planTorch('linux', smi(undefined, [['0', 'NVIDIA L4']])).build, 'cu126');
});

test('Windows rows (WDDM) are read as GPUs', () => {
  const stdout = '| NVIDIA-SMI 576.02   Driver Version: 576.02   CUDA Version: 12.9 |\n|   0  NVIDIA GeForce RTX 4090      WDDM  |   00000000:01:00.0  On |                  Off |';
  assert.deepEqual(parseNvidiaSmi(stdout), { gpus: ['NVIDIA GeForce RTX 4090'], driver: '576.02', cuda: '12.9' });
  assert.equal(planTorch('win32', { kind: 'ok', stdout }).build, 'cu128');
});

test('macOS: PyPI\'s build whatever is asked (PyTorch has no CUDA build there)', () => {
  assert.deepEqual(planTorch('darwin', { kind: 'absent' }), { build: 'pip', why: 'the macOS build from PyPI (CPU and Apple GPUs)' });
  assert.match(planTorch('darwin', { kind: 'absent' }, 'cu128').why, /no cu128 build for macOS/);
});

test('a choice in the settings wins over detection; "pip" leaves the index to pip\'s configuration', () => {
  assert.equal(planTorch('linux', smi('13.0', [['0', 'NVIDIA H100']]), 'cpu').build, 'cpu');
  assert.equal(planTorch('linux', { kind: 'absent' }, 'cu128').indexUrl, 'https://download.pytorch.org/whl/cu128');
  const pip = planTorch('linux', smi('13.0', [['0', 'NVIDIA H100']]), 'pip');
  assert.equal(pip.indexUrl, undefined);
  assert.deepEqual(torchInstallArgs(pip, 'torch==2.13.0'), ['-m', 'pip', 'install', 'torch==2.13.0']);
  assert.deepEqual(torchInstallArgs(planTorch('linux', { kind: 'absent' }), 'torch>=2.3,<3'),
    ['-m', 'pip', 'install', 'torch>=2.3,<3', '--index-url', 'https://download.pytorch.org/whl/cpu']);
});

test('the torch requirement is read from the host package itself (one place for it)', () => {
  const pyproject = readFileSync(join(__dirname, '..', '..', 'host', 'pyproject.toml'), 'utf8');
  const req = torchRequirement(pyproject);
  assert.match(req!, /^torch>=\d+\.\d+,<\d+$/);
  assert.equal(torchRequirement('dependencies = ["numpy"]'), undefined);
});

test('the setting\'s choices are the plan\'s choices (package.json checked against the code)', () => {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8'));
  assert.deepEqual(pkg.contributes.configuration.properties['actfocus.setup.torch'].enum, [...TORCH_CHOICES]);
});
