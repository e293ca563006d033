import type { ReplayObserver, ReplayOutcome } from '../ble/capture-reports.js';
import type { LoadedConfig } from '../config/load.js';
import type { Logger } from '../log.js';
import type { AdvertisementSource, Clock, RadioControl } from '../ports.js';

/** `vitrin replay`: a capture instead of the radio, on the capture's own timeline. */
export interface ReplayRequest {
  readonly file: string;
  /** 0: as fast as possible. */
  readonly speed: number;
  readonly receiverId: string;
  readonly observer?: ReplayObserver;
}

export interface GatewayOptions {
  readonly loaded: LoadedConfig;
  readonly env?: NodeJS.ProcessEnv;
  readonly clock?: Clock;
  readonly log?: Logger;
  readonly replay?: ReplayRequest;
}

export interface RunningGateway {
  readonly log: Logger;
  readonly httpUrl: string;
  readonly mqttUrl: string;
  readonly simulated: boolean;
  /** Replay only: resolves when the whole capture has been fed. */
  readonly replayFinished?: Promise<ReplayOutcome>;
  stop(): Promise<void>;
}

/** A local Bluetooth adapter: a source of adverts the watchdog can restart. */
export type LocalRadio = RadioControl & AdvertisementSource;
