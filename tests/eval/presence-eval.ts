// Entry of `npm run eval:presence`: stdout carries exactly one JSON object (the four
// figures first, then breakdowns and counts); progress goes to stderr.
//   npm run eval:presence -- --seed 7 --shoppers 800 --hours 12   (defaults: seed 1, 400 over 6 h)
// What-if runs change the radio's assumptions (README, Presence: what the goals ask of the radio):
//   --spatial-sigma 2.5 --temporal-sigma 1.7 --background-gaps 1,10   (dB, dB, seconds)
// Figures (see README, Presence): zoneAccuracy is a fraction of (member, second)
// samples, leaving out the first 5 s after each true zone change; flapsPer10Min counts
// zone changes while standing still, after a 10 s settling allowance, except a late first
// move into the true zone (counts.lateCorrections); dwellDelayS and
// leaveDelayS are p95, the latter for members on the foreground path.
// Beside them, never instead of them: zoneAccuracyHeard leaves out the seconds before a
// silent phone was first heard in its new zone; zoneAccuracyLoudest is a reference from
// the radio model's hidden state (mean-oracle.ts); dwellDelayHeardS leaves out the till
// stays with no packet in their first 10 s (counts.silentPosStays).
import { parseArgs } from 'node:util';
import { ADVERTISING } from '../../adapters/simulator/radio-model.js';
import { evaluatePresence } from './evaluate-presence.js';

function main(): number {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string' },
      shoppers: { type: 'string' },
      hours: { type: 'string' },
      'spatial-sigma': { type: 'string' },
      'temporal-sigma': { type: 'string' },
      'background-gaps': { type: 'string' },
    },
  });
  const number = (text: string | undefined, name: string): number | undefined => {
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} must be a non-negative number`);
    return value;
  };
  const spatialSigmaDb = number(values['spatial-sigma'], 'spatial-sigma');
  const temporalSigmaDb = number(values['temporal-sigma'], 'temporal-sigma');
  const gaps = values['background-gaps']?.split(',').map((part) => number(part, 'background-gaps'));
  if (gaps !== undefined && (gaps.length !== 2 || gaps[0]! <= 0 || gaps[1]! < gaps[0]!)) throw new Error('--background-gaps takes two seconds, shortest first: 1,10');
  const background = ADVERTISING['ios-background'];
  const started = process.hrtime.bigint();
  const report = evaluatePresence({
    seed: number(values.seed, 'seed'),
    shoppers: number(values.shoppers, 'shoppers'),
    hours: number(values.hours, 'hours'),
    radio: { ...(spatialSigmaDb === undefined ? {} : { spatialSigmaDb }), ...(temporalSigmaDb === undefined ? {} : { temporalSigmaDb }) },
    ...(gaps === undefined || background.bursts === undefined
      ? {}
      : { advertising: { 'ios-background': { ...background, bursts: { ...background.bursts, gapMs: [gaps[0]! * 1000, gaps[1]! * 1000] } } } }),
    onProgress: (fraction) => process.stderr.write(`[eval:presence] ${Math.round(fraction * 100)} %\n`),
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stderr.write(`[eval:presence] ${report.shoppers} shoppers, ${report.counts.sightings} sightings in ${seconds.toFixed(1)} s\n`);
  process.stdout.write(`${JSON.stringify(report)}\n`);
  return 0;
}

try {
  process.exitCode = main();
} catch (err) {
  process.stderr.write(`[eval:presence] ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 2;
}
