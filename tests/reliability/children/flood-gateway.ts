// A child process of the flood: the real gateway (startGateway, as `vitrin start` runs
// it) with a capture as its radio, replayed on the capture's own timeline. The only
// additions are the replay observer (what `vitrin replay --summary` uses) to note when
// the first report went in and how far behind its schedule each report was fed, and a
// memory reading after a full garbage collection when the parent asks for one.

import { loadConfig } from '../../../gateway/config/load.js';
import { startGateway, type RunningGateway } from '../../../gateway/main.js';

export interface FloodGo {
  readonly configFile: string;
  readonly env: Readonly<Record<string, string>>;
  readonly capture: string;
  /** Reports per second in the capture: report n is due n / rate seconds after the first. */
  readonly rate: number;
}

export type FloodMessage =
  | { readonly ready: { readonly httpUrl: string; readonly mqttUrl: string } }
  | { readonly started: number }
  | { readonly finished: { readonly reports: number; readonly lagP50Ms: number; readonly lagP99Ms: number; readonly lagMaxMs: number } }
  | { readonly memory: { readonly heapUsed: number; readonly rss: number } }
  | { readonly failed: string };

function send(message: FloodMessage): void {
  process.send?.(message);
}

async function run(go: FloodGo): Promise<RunningGateway> {
  const env = { ...process.env, ...go.env };
  let fed = 0;
  let wallStart = 0;
  const lags: number[] = [];
  const observer = {
    record: () => undefined,
    report: () => {
      const now = performance.now();
      if (fed === 0) {
        wallStart = now;
        send({ started: Date.now() });
      }
      if (fed % 50 === 0) lags.push(now - (wallStart + (fed * 1000) / go.rate));
      fed++;
    },
  };
  const gateway = await startGateway({ loaded: loadConfig({ file: go.configFile, env }), env, replay: { file: go.capture, speed: 1, receiverId: 'rx-pos-1', observer } });
  send({ ready: { httpUrl: gateway.httpUrl, mqttUrl: gateway.mqttUrl } });
  void gateway.replayFinished?.then((outcome) => {
    const sorted = lags.sort((a, b) => a - b);
    const at = (q: number) => Math.round((sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0) * 10) / 10;
    send({ finished: { reports: outcome.reports, lagP50Ms: at(0.5), lagP99Ms: at(0.99), lagMaxMs: at(1) } });
  });
  return gateway;
}

let running: Promise<RunningGateway> | undefined;
/** Started with --expose-gc: a full collection first, so what stays is what is held. */
const collect = (globalThis as { gc?: () => void }).gc;

process.on('message', (message: { go?: FloodGo; stop?: true; measure?: true }) => {
  if (message.measure === true) {
    collect?.();
    const { heapUsed, rss } = process.memoryUsage();
    send({ memory: { heapUsed, rss } });
  }
  if (message.go !== undefined) {
    running = run(message.go);
    running.catch((err: unknown) => send({ failed: err instanceof Error ? err.message : String(err) }));
  }
  if (message.stop === true) {
    void running?.then((gateway) => gateway.stop()).finally(() => process.exit(0));
  }
});
