import type { LocalRadio } from '../../gateway/main/types.js';
import type { Advertisement, RadioState } from '../../gateway/ports.js';

/** A local adapter without a radio: the test emits what it hears. */
export class FakeRadio implements LocalRadio {
  readonly kind = 'ble' as const;
  constructor(readonly receiverId: string) {}
  started = false;
  // The forwarder and the watchdog both listen, as on a real adapter.
  private readonly listeners = new Set<(ad: Advertisement) => void>();
  onAdvertisement(fn: (ad: Advertisement) => void) {
    this.listeners.add(fn);
    return () => void this.listeners.delete(fn);
  }
  emit(ad: Advertisement) {
    for (const fn of this.listeners) fn(ad);
  }
  state(): RadioState {
    return this.started ? 'scanning' : 'stopped';
  }
  start = () => {
    this.started = true;
    return Promise.resolve();
  };
  stop = () => {
    this.started = false;
    return Promise.resolve();
  };
  restartScan = () => Promise.resolve();
  resetAdapter = () => Promise.resolve();
}
