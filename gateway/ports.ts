// The seams between the core and the adapters. Only our own types cross them:
// noble's, mqtt's, better-sqlite3's and onnxruntime's types stay inside adapters/.

/** Anything the composition root starts and stops; constructors only assign. */
export interface Lifecycle {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** One advertising report as a receiver heard it, before anything is decoded. */
export interface Advertisement {
  /** Which receiver heard it (config `receivers[].id`). */
  readonly receiverId: string;
  /** Device address as six colon-separated hex bytes, lower case. */
  readonly address: string;
  readonly addressType: 'public' | 'random' | 'unknown';
  readonly rssi: number;
  /** Raw advertising data (AD structures), as in the HCI LE Advertising Report. */
  readonly data: Uint8Array;
  /** Milliseconds since the Unix epoch, from the injected clock. */
  readonly receivedAt: number;
}

export type Unsubscribe = () => void;

export interface AdvertisementSource extends Lifecycle {
  /** `simulated` is shown to users wherever the store's data is not from a real radio. */
  readonly kind: 'simulated' | 'ble' | 'replay' | 'mqtt';
  onAdvertisement(fn: (ad: Advertisement) => void): Unsubscribe;
}

export interface PublishOptions {
  readonly qos: 0 | 1 | 2;
  readonly retain?: boolean;
  /** MQTT 5 message expiry; ignored on MQTT 3.1.1 connections. */
  readonly messageExpirySeconds?: number;
  /** MQTT 5 content type; ignored on MQTT 3.1.1 connections. */
  readonly contentType?: string;
}

export interface InboundMessage {
  readonly topic: string;
  readonly payload: Buffer;
}

/**
 * Where a broker in the gateway's own process hands the messages the gateway must not
 * lose: the sender's acknowledgement (PUBACK) waits until `take` resolves, so a message
 * the sender may forget is already committed.
 */
export type InboundIntake = (message: InboundMessage) => Promise<void>;

/** A radio adapter's condition, for health, readiness and the watchdog. */
export type RadioState = 'starting' | 'scanning' | 'down' | 'unauthorized' | 'stopped';

/** What the watchdog may do to a radio that has gone quiet. */
export interface RadioControl {
  readonly receiverId: string;
  state(): RadioState;
  restartScan(): Promise<void>;
  resetAdapter(): Promise<void>;
}

/** One GATT read: connect to the device, read one characteristic, disconnect. */
export interface GattReadRequest {
  /** The adapter that heard the device (receivers[].id of a local adapter). */
  readonly receiverId: string;
  readonly address: string;
  readonly addressType: Advertisement['addressType'];
  /** 128-bit UUIDs, lower case with dashes. */
  readonly service: string;
  readonly characteristic: string;
  readonly timeoutMs: number;
}

/** iOS members in the background: their EID is read over GATT (DESIGN.md section 3). */
export interface GattReader {
  /** Resolves with the value; rejects on any failure or timeout, after disconnecting. */
  read(request: GattReadRequest): Promise<Uint8Array>;
}

export interface MessageBus extends Lifecycle {
  /** Resolves when the broker acknowledged the message (QoS 1 and 2) or it was written (QoS 0). */
  publish(topic: string, payload: string | Buffer, options: PublishOptions): Promise<void>;
  subscribe(topicFilter: string, handler: (message: InboundMessage) => void): Promise<Unsubscribe>;
  isConnected(): boolean;
  onConnectionChange(fn: (connected: boolean) => void): Unsubscribe;
}

/** Rows for one model call: `rows` feature vectors of `width` floats each, row-major. */
export interface FeatureBatch {
  readonly rows: number;
  readonly width: number;
  readonly values: Float32Array;
}

export interface ModelIdentity {
  readonly id: string;
  readonly version: string;
  readonly sha256: string;
}

/** One model input column, in the order the model expects them. */
export interface FeatureSpec {
  readonly name: string;
  /** Used when the profile or the moment has no value for this feature. */
  readonly default: number;
}

export interface Scorer {
  readonly model: ModelIdentity;
  readonly features: readonly FeatureSpec[];
  /** One probability of the positive class per row. */
  score(batch: FeatureBatch): Promise<Float32Array>;
}

/** Something that happened to a member, as stored and later sent to the cloud. */
export interface StoredEventInput {
  readonly type: string;
  /** Pseudonymous member id; never a device address. */
  readonly memberId?: string;
  /** Milliseconds since the Unix epoch. */
  readonly at: number;
  readonly payload: Record<string, unknown>;
}

export interface StoredEvent extends StoredEventInput {
  readonly id: number;
}

export interface EventStore extends Lifecycle {
  /** Queues the event; it is committed with its batch within the flush interval. */
  append(event: StoredEventInput): void;
  /** Commits everything queued in one transaction; returns how many rows were written. */
  flush(): number;
  /** Newest first. */
  recentEvents(limit: number): StoredEvent[];
  /** Events queued for the cloud and not yet acknowledged. */
  outboxDepth(): number;
  /** Deletes every event of the member, queued or stored, overwriting their bytes; returns how many. */
  eraseMember(memberId: string): number;
  isOpen(): boolean;
  /** False from a failed commit (a full disk, a lock held too long) until a commit succeeds again. */
  isWritable(): boolean;
}

/** A member record as stored: sealed (encrypted) by the core, opaque to the store. */
export interface SealedMember {
  readonly id: string;
  readonly sealed: Uint8Array;
  /** Increases with every write, across the roster. */
  readonly seq: number;
}

/** The roster at rest. The store never sees a key or a profile in the clear. */
export interface RosterStore extends Lifecycle {
  /** The sealed key check written with the first member; undefined for an empty roster. */
  keyCheck(): Uint8Array | undefined;
  rotationExponent(): number | undefined;
  /** Inserts or replaces members in one transaction, with the key check and, if given, the rotation exponent. */
  put(members: readonly { readonly id: string; readonly sealed: Uint8Array }[], keyCheck: Uint8Array, rotationExponent?: number): void;
  /** Up to `limit` members written after `seq`, in the order written. */
  since(seq: number, limit: number): SealedMember[];
  get(id: string): SealedMember | undefined;
  /** Deletes a member so that its bytes are overwritten, not only unlinked. */
  remove(id: string): boolean;
  count(): number;
}

/** sd_notify(3); a no-op outside systemd. */
export interface ServiceNotifier {
  ready(status?: string): void;
  stopping(): void;
  status(text: string): void;
  /** Starts the WATCHDOG=1 heartbeat when systemd asked for one. */
  startWatchdog(isHealthy: () => boolean): void;
  stopWatchdog(): void;
  /** Releases the socket; the last call at shutdown. */
  close(): void;
}

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): Unsubscribe;
  setInterval(fn: () => void, ms: number): Unsubscribe;
}
