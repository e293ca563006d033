import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

const MOSQUITTO = '/usr/sbin/mosquitto';

/** Mosquitto's dynamic security plugin, where Debian's mosquitto package puts it (x86_64 or arm64); undefined when missing. */
export const DYNSEC_PLUGIN = ['/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so', '/usr/lib/aarch64-linux-gnu/mosquitto_dynamic_security.so'].find((p) => existsSync(p));

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

/** False (with a notice) when Mosquitto is missing locally; throws in CI, where it must be installed. */
export function mosquittoInstalled(): boolean {
  if (existsSync(MOSQUITTO)) return true;
  if (process.env.CI === 'true') throw new Error(`${MOSQUITTO} is missing; CI must install Debian's mosquitto`);
  console.warn(`NOTICE: ${MOSQUITTO} not found; Mosquitto integration tests are skipped (apt-get install mosquitto)`);
  return false;
}

/**
 * Debian's Mosquitto on a free loopback port, for tests against the broker stores
 * really run. Missing Mosquitto skips (with a notice) locally and fails in CI.
 */
export async function startMosquitto(port?: number): Promise<RunningMosquitto | undefined> {
  if (!mosquittoInstalled()) return undefined;
  const listenPort = port ?? (await freePort());
  const lines = [`listener ${listenPort} 127.0.0.1`, 'allow_anonymous true', 'persistence false'];
  return launchMosquitto(lines.join('\n'), [listenPort]);
}

/**
 * Mosquitto with a whole config of the test's own (logins, ACL, TLS), started once
 * every port in `ports` accepts connections; `ports[0]` is the one `url` names.
 */
export async function launchMosquitto(config: string, ports: readonly number[]): Promise<RunningMosquitto> {
  const dir = mkdtempSync(join(tmpdir(), 'vitrin-mosquitto-'));
  const conf = join(dir, 'mosquitto.conf');
  // Started as root, Mosquitto drops to the mosquitto user, which cannot read the test's private temp folders.
  const user = process.getuid?.() === 0 ? ['user root'] : [];
  writeFileSync(conf, [config, ...user, 'log_dest stderr', 'log_type error', 'log_type warning', ''].join('\n'));
  const child = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const deadline = Date.now() + 10_000;
  for (const port of ports) {
    while (!(await portOpen(port))) {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`mosquitto did not start on port ${port}: ${stderr}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  const port = ports[0]!;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
