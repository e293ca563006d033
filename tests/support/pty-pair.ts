import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Two linked pseudo-terminals (socat, from Debian): what one end writes, the other reads. */
export interface PtyPair {
  readonly controllerEnd: string;
  readonly hostEnd: string;
  close(): void;
}

export async function openPtyPair(): Promise<PtyPair> {
  const dir = mkdtempSync(join(tmpdir(), 'vitrin-pty-'));
  const controllerEnd = join(dir, 'controller');
  const hostEnd = join(dir, 'host');
  const socat: ChildProcess = spawn('socat', [`pty,raw,echo=0,link=${controllerEnd}`, `pty,raw,echo=0,link=${hostEnd}`], { stdio: 'ignore' });
  const failed = new Promise<never>((_, reject) => socat.once('error', (err) => reject(new Error(`socat did not start (apt-get install socat): ${err.message}`))));
  const deadline = Date.now() + 5000;
  while (!(existsSync(controllerEnd) && existsSync(hostEnd))) {
    if (Date.now() > deadline) throw new Error('socat did not create the pseudo-terminals within 5 s');
    await Promise.race([new Promise((r) => setTimeout(r, 20)), failed]);
  }
  return {
    controllerEnd,
    hostEnd,
    close: () => {
      socat.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
