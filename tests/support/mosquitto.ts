import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

const MOSQUITTO = '/usr/sbin/mosquitto';

export interface RunningMosquitto {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Debian's Mosquitto on a free loopback port, for tests against the broker stores
 * really run. Missing Mosquitto skips (with a notice) locally and fails in CI.
 */
export async function startMosquitto(port?: number): Promise<RunningMosquitto | undefined> {
  if (!existsSync(MOSQUITTO)) {
    if (process.env.CI === 'true') throw new Error(`${MOSQUITTO} is missing; CI must install Debian's mosquitto`);
    console.warn(`NOTICE: ${MOSQUITTO} not found; Mosquitto integration tests are skipped (apt-get install mosquitto)`);
    return undefined;
  }
  const listenPort = port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'vitrin-mosquitto-'));
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, [`listener ${listenPort} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'log_dest stderr', 'log_type error', 'log_type warning', ''].join('\n'));
  const child = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const deadline = Date.now() + 10_000;
  while (!(await portOpen(listenPort))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`mosquitto did not start on port ${listenPort}: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url: `mqtt://127.0.0.1:${listenPort}`,
    port: listenPort,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
