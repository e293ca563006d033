import type { Noble, Peripheral } from '@stoprocent/noble';

// noble (2.8) remembers every address it has ever seen, in four places, with no API
// to forget one: Noble#_peripherals (and its service maps), the hci binding's
// address maps and its GAP's _discoveries. A store hears thousands of rotating
// addresses an hour, so the adapter forgets each one as soon as it is reported.
// These are private fields of a pinned version; the memory test in
// tests/integration/ble fails if an upgrade moves them.

type Dict = Record<string, unknown>;

interface NobleInternals {
  _cleanupPeriperals?: (id: string) => void;
  _peripherals?: Map<string, unknown>;
  _bindings?: {
    _addresses?: Dict;
    _addresseTypes?: Dict;
    _connectable?: Dict;
    _gap?: { _discoveries?: Dict };
  };
}

export interface NobleCacheSizes {
  readonly peripherals: number;
  readonly discoveries: number;
  readonly bindings: number;
}

const internals = (noble: Noble) => noble as unknown as NobleInternals;

/** Forgets a reported peripheral, unless a connection to it is in progress or open. */
export function forgetPeripheral(noble: Noble, peripheral: Peripheral): void {
  if (peripheral.state === 'connecting' || peripheral.state === 'connected' || peripheral.state === 'disconnecting') return;
  const inner = internals(noble);
  inner._cleanupPeriperals?.call(noble, peripheral.id);
  const bindings = inner._bindings;
  if (bindings === undefined) return;
  if (bindings._addresses !== undefined) delete bindings._addresses[peripheral.id];
  if (bindings._addresseTypes !== undefined) delete bindings._addresseTypes[peripheral.id];
  if (bindings._connectable !== undefined) delete bindings._connectable[peripheral.id];
  const discoveries = bindings._gap?._discoveries;
  if (discoveries !== undefined) delete discoveries[peripheral.address];
}

export function nobleCacheSizes(noble: Noble): NobleCacheSizes {
  const inner = internals(noble);
  return {
    peripherals: inner._peripherals?.size ?? 0,
    discoveries: Object.keys(inner._bindings?._gap?._discoveries ?? {}).length,
    bindings: Object.keys(inner._bindings?._addresses ?? {}).length,
  };
}
