import type { GattReader, GattReadRequest } from '../../gateway/ports.js';

export interface PendingRead {
  readonly request: GattReadRequest;
  resolve(value: Uint8Array): void;
  reject(err: unknown): void;
}

/**
 * A GattReader whose reads stay open until the test settles them, so a test can see
 * how many are in flight at once and decide what each device answers.
 */
export class FakeGattReader implements GattReader {
  /** Every read asked for, in order. */
  readonly requests: GattReadRequest[] = [];
  /** Reads not yet settled, oldest first. */
  readonly open: PendingRead[] = [];

  read(request: GattReadRequest): Promise<Uint8Array> {
    this.requests.push(request);
    return new Promise<Uint8Array>((resolve, reject) => {
      const pending: PendingRead = {
        request,
        resolve: (value) => {
          this.close(pending);
          resolve(value);
        },
        reject: (err) => {
          this.close(pending);
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      };
      this.open.push(pending);
    });
  }

  /** The open read of `address`; throws if there is none, which is the test's mistake. */
  of(address: string): PendingRead {
    const pending = this.open.find((p) => p.request.address === address);
    if (pending === undefined) throw new Error(`no open read of ${address}`);
    return pending;
  }

  private close(pending: PendingRead): void {
    const i = this.open.indexOf(pending);
    if (i >= 0) this.open.splice(i, 1);
  }
}
