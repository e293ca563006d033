import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../../gateway/package-root.js';

// The real service as store IT runs it (`node dist/gateway/bin.js start`), and the
// suite's own children, as processes the suite can SIGKILL and measure.

export const BIN = join(PACKAGE_ROOT, 'dist', 'gateway', 'bin.js');

/** Resident memory of a process in bytes, from /proc; undefined once it is gone. */
export function rssBytes(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
    return match === null ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}

/** VmRSS split into anonymous memory (heaps, arenas) and file-backed pages (code, mapped files). */
export function rssParts(pid: number): { anon: number; file: number; shmem: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
    return { anon: kb('RssAnon'), file: kb('RssFile'), shmem: kb('RssShmem') };
  } catch {
    return undefined;
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function until<T>(what: string, timeoutMs: number, check: () => T | undefined | Promise<T | undefined>, everyMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export interface ServiceProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** The last 64 KB of stdout and stderr. */
  output(): string;
  /** The last 64 KB of stderr alone. */
  stderr(): string;
  /** Every complete line of stdout so far. */
  lines(): string[];
  /** Resolves with the exit code, or the signal's name. */
  readonly exited: Promise<number | string>;
  alive(): boolean;
  kill9(): Promise<number | string>;
  /** SIGTERM, as systemd stops the service; SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<number | string>;
}

const KEEP = 64 * 1024;

// Whatever the suite started goes with it, also when it fails half-way.
const started = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

export function startProcess(args: readonly string[], env: NodeJS.ProcessEnv, options: { ipc?: boolean } = {}): ServiceProcess {
  const child = spawn(process.execPath, args, {
    cwd: PACKAGE_ROOT,
    env,
    stdio: options.ipc === true ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  let errors = '';
  let partial = '';
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    text += chunk.toString();
    if (text.length > 2 * KEEP) text = text.slice(-KEEP);
  };
  child.stdout!.on('data', (chunk: Buffer) => {
    keep(chunk);
    const parts = (partial + chunk.toString()).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    keep(chunk);
    errors += chunk.toString();
    if (errors.length > 2 * KEEP) errors = errors.slice(-KEEP);
  });
  started.add(child);
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => {
      started.delete(child);
      resolve(code ?? signal ?? 'unknown');
    }),
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${args.join(' ')}`);
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    child,
    pid,
    output: () => text.slice(-KEEP),
    stderr: () => errors.slice(-KEEP),
    lines: () => [...lines],
    exited,
    alive,
    kill9: () => {
      if (alive()) child.kill('SIGKILL');
      return exited;
    },
    stop: async (graceMs = 10_000) => {
      if (!alive()) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

export interface GatewayProcess extends ServiceProcess {
  readonly httpUrl: string;
  readonly mqttUrl: string;
}

/**
 * `vitrin start` with a store file and VITRIN_* overrides, resolved once it logs that it
 * is running (its feedback and request handlers are subscribed by then).
 */
export async function startGatewayProcess(options: {
  readonly configFile: string;
  readonly env: Readonly<Record<string, string>>;
  readonly httpPort: number;
  /** The embedded broker's port, or the external broker's URL. */
  readonly mqtt: number | string;
  readonly timeoutMs?: number;
  /** Node's own flags, before the script (the soak's --expose-gc). */
  readonly nodeArgs?: readonly string[];
}): Promise<GatewayProcess> {
  const { configFile, env, httpPort, mqtt } = options;
  const service = startProcess([...(options.nodeArgs ?? []), BIN, 'start', '--config', configFile], {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    VITRIN_HTTP__HOST: '127.0.0.1',
    VITRIN_HTTP__PORT: String(httpPort),
    ...(typeof mqtt === 'number' ? { VITRIN_MQTT__EMBEDDED__PORT: String(mqtt), VITRIN_MQTT__EMBEDDED__HOST: '127.0.0.1' } : { VITRIN_MQTT__URL: mqtt }),
    ...env,
  });
  try {
    await until('the gateway to say it is running', options.timeoutMs ?? 20_000, () => {
      if (!service.alive()) throw new Error(`the gateway exited at start: ${service.output().slice(-2000)}`);
      return service.output().includes('"msg":"Vitrin is running') ? true : undefined;
    });
  } catch (err) {
    await service.kill9();
    throw err;
  }
  return { ...service, httpUrl: `http://127.0.0.1:${httpPort}`, mqttUrl: typeof mqtt === 'number' ? `mqtt://127.0.0.1:${mqtt}` : mqtt };
}

/** Node's own crash signs in a process's output: an uncaught exception's stack, a fatal error, a native abort. */
export function crashSigns(output: string): string[] {
  const signs = [/^\s+at .+\(.+:\d+:\d+\)$/m, /FATAL ERROR/, /Uncaught/, /Segmentation fault/, /core dumped/, /"level":60/];
  return signs.filter((pattern) => pattern.test(output)).map((pattern) => pattern.source);
}
