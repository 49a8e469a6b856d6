import * as path from 'node:path';

/** The commands, in order (pure; tested). No shell: each is [program, args]. */
export function setupSteps(basePython: string, venvDir: string, hostDir: string, platform: NodeJS.Platform = process.platform): { title: string; cmd: string; args: string[] }[] {
  const py = platform === 'win32' ? path.join(venvDir, 'Scripts', 'python.exe') : path.join(venvDir, 'bin', 'python');
  return [
    { title: 'Creating the virtual environment', cmd: basePython, args: ['-m', 'venv', venvDir] },
    { title: 'Updating pip', cmd: py, args: ['-m', 'pip', 'install', '--upgrade', 'pip'] },
    { title: 'Installing the training host (PyTorch and its dependencies)', cmd: py, args: ['-m', 'pip', 'install', hostDir] },
    { title: 'Checking the host', cmd: py, args: ['-m', 'actfocus', '--version'] },
  ];
}
