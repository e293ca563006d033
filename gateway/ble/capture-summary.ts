import type { RecordKind } from './capture-reports.js';
import type { BtsnoopProblem } from './btsnoop.js';
import { decodeFrames } from './frames.js';
import type { AdvertisingReport } from './hci-events.js';

// What `vitrin replay --summary` prints: counts only. Distinct addresses and members
// are counted in memory for the length of one replay and never written anywhere.

export interface CaptureSummaryJson {
  records: number;
  advertisingReports: number;
  legacyReports: number;
  extendedReports: number;
  frames: Record<string, number>;
  addresses: number;
  members: number;
  /** Reports that resolved to no member: dropped at the resolve stage. */
  dropped: number;
  /** Records that are not HCI events or are events other than advertising reports. */
  otherRecords: number;
  /** Advertising report events that could not be decoded, by record index. */
  malformedEvents: number;
  /** Set when the capture is corrupt or truncated: where, and why. Records before it were replayed. */
  problem?: BtsnoopProblem;
}

export class CaptureSummary {
  private records = 0;
  private otherRecords = 0;
  private malformedEvents = 0;
  private legacy = 0;
  private extended = 0;
  private dropped = 0;
  private readonly frames = new Map<string, number>();
  private readonly addresses = new Set<string>();
  private readonly members = new Set<string>();
  private problem: BtsnoopProblem | undefined;

  record(kind: RecordKind): void {
    this.records++;
    if (kind === 'other') this.otherRecords++;
    else if (kind === 'malformed') this.malformedEvents++;
  }

  /** One report, and the member it resolved to (undefined: dropped). */
  report(report: AdvertisingReport, memberId: string | undefined): void {
    if (report.kind === 'legacy') this.legacy++;
    else this.extended++;
    this.addresses.add(report.address);
    for (const frame of decodeFrames(report.data).frames) this.frames.set(frame.type, (this.frames.get(frame.type) ?? 0) + 1);
    if (memberId === undefined) this.dropped++;
    else this.members.add(memberId);
  }

  fail(problem: BtsnoopProblem): void {
    this.problem = problem;
  }

  toJSON(): CaptureSummaryJson {
    return {
      records: this.records,
      advertisingReports: this.legacy + this.extended,
      legacyReports: this.legacy,
      extendedReports: this.extended,
      frames: Object.fromEntries([...this.frames].sort(([a], [b]) => a.localeCompare(b))),
      addresses: this.addresses.size,
      members: this.members.size,
      dropped: this.dropped,
      otherRecords: this.otherRecords,
      malformedEvents: this.malformedEvents,
      ...(this.problem === undefined ? {} : { problem: this.problem }),
    };
  }
}
