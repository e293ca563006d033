// The child process of runtime-probe.ts: opens the model in ONNX Runtime and scores two
// rows of defaults, exactly as the gateway is about to, then reports and exits. If a
// damaged file makes ONNX Runtime abort, it is this process that dies, not the gateway.

import { isVitrinError } from '../../gateway/errors.js';
import { openScorer, trialScores } from './onnx-session.js';
import type { ProbeRequest, ProbeReply } from './runtime-probe.js';

async function probe(request: ProbeRequest): Promise<ProbeReply> {
  try {
    const scorer = await openScorer(request.bytes, request.file, request.plan, request.model, request.features);
    try {
      await trialScores(scorer, request.width);
    } finally {
      await scorer.stop();
    }
    return { ok: true };
  } catch (err) {
    if (isVitrinError(err)) return { ok: false, code: err.code, message: err.message, details: err.details };
    return { ok: false, code: 'VITRIN_ERR_MODEL_LOAD', message: err instanceof Error ? err.message : String(err), details: [] };
  }
}

process.once('message', (request: ProbeRequest) => {
  void probe(request).then((reply) => process.send?.(reply, () => process.exit(0)));
});
