import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VitrinError, type ErrorCode } from '../../gateway/errors.js';
import type { FeatureSpec, ModelIdentity } from '../../gateway/ports.js';
import type { ReadPlan } from './read-plan.js';

// ONNX Runtime is native code: a model file damaged in the right byte makes it call
// std::terminate (the reliability suite's model fuzz found one in a tree ensemble),
// which no try/catch survives. Every model the running gateway is about to load is
// first opened and tried in a child process, so such a file is refused with
// VITRIN_ERR_MODEL_LOAD and the gateway, and the model it is using, stay up.

export interface ProbeRequest {
  readonly bytes: Uint8Array;
  readonly file: string;
  readonly plan: ReadPlan;
  readonly model: ModelIdentity;
  readonly features: readonly FeatureSpec[];
  readonly width: number;
}

export type ProbeReply = { readonly ok: true } | { readonly ok: false; readonly code: ErrorCode; readonly message: string; readonly details: readonly string[] };

/** A model that loads slowly is still a model; one that hangs is not. */
const PROBE_TIMEOUT_MS = 60_000;

function childEntry(): { file: string; execArgv: string[] } {
  const here = fileURLToPath(import.meta.url);
  const ext = extname(here);
  const file = join(dirname(here), `runtime-probe-child${ext}`);
  if (!existsSync(file)) throw new VitrinError('VITRIN_ERR_MODEL_LOAD', `the model probe ${file} is missing from this install`);
  // Built installs run the compiled .js; tests run the sources, which need tsx's loader in the child too.
  return { file, execArgv: ext === '.ts' ? ['--import', 'tsx'] : [] };
}

/**
 * Models (by the sha256 of the bytes ONNX Runtime gets) that opened and scored in a
 * child already: the same bytes behave the same, so a restart of the scorer or a
 * reload of an unchanged package does not pay for a second process.
 */
const probed = new Set<string>();

/** Resolves when ONNX Runtime opened and scored the model in a child; throws a VitrinError otherwise. */
export async function probeInChild(request: ProbeRequest): Promise<void> {
  const key = `${createHash('sha256').update(request.bytes).digest('hex')}/${request.plan.fetch}/${request.width}`;
  if (probed.has(key)) return;
  await runProbe(request);
  probed.add(key);
}

function runProbe(request: ProbeRequest): Promise<void> {
  const { file, execArgv } = childEntry();
  return new Promise((resolve, reject) => {
    const child = fork(file, [], { execArgv, serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    let reply: ProbeReply | undefined;
    child.stderr?.on('data', (chunk: Buffer) => {
      if (stderr.length < 4_000) stderr += chunk.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), PROBE_TIMEOUT_MS);
    child.once('message', (message: ProbeReply) => {
      reply = message;
    });
    child.once('error', (cause) => {
      clearTimeout(timer);
      reject(new VitrinError('VITRIN_ERR_MODEL_LOAD', `the model probe could not start: ${cause.message}`, { cause }));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (reply?.ok === true) return resolve();
      if (reply !== undefined) return reject(new VitrinError(reply.code, reply.message, { details: reply.details }));
      const how = signal === 'SIGKILL' ? `did not finish within ${PROBE_TIMEOUT_MS / 1000} s` : `crashed (${signal ?? `exit ${code ?? '?'}`})`;
      const said = stderr.trim().split('\n').slice(-2).join(' ').slice(0, 300);
      reject(new VitrinError('VITRIN_ERR_MODEL_LOAD', `ONNX Runtime ${how} opening ${request.file}${said === '' ? '' : `: ${said}`}`));
    });
    child.send(request);
  });
}
