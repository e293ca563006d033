import { Ajv, type ErrorObject } from 'ajv';
import { cloudConfigProblems } from '../sync/cloud-config.js';
import { ConfigSchema, type Config } from './schema.js';

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true });
ajv.addKeyword({ keyword: 'secret', schemaType: 'boolean' });
const validateSchema = ajv.compile<Config>(ConfigSchema);

function describe(error: ErrorObject): string {
  const path = error.instancePath === '' ? '/' : error.instancePath;
  if (error.keyword === 'additionalProperties') {
    const extra = (error.params as { additionalProperty: string }).additionalProperty;
    return `${path}: unknown setting "${extra}"`;
  }
  if (error.keyword === 'enum' || error.keyword === 'const') {
    return `${path}: must be one of ${JSON.stringify((error.params as { allowedValues?: unknown }).allowedValues ?? error.params)}`;
  }
  return `${path}: ${error.message ?? error.keyword}`;
}

// Ajv reports a failed union once per branch plus once for the union; the branch
// errors are noise ("must be equal to constant" four times), so keep the summary
// and name the allowed values instead.
function summarise(errors: readonly ErrorObject[]): string[] {
  const unionPaths = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  const lines: string[] = [];
  for (const error of errors) {
    if (error.keyword === 'const' && unionPaths.has(error.instancePath)) continue;
    if (error.keyword === 'anyOf') {
      const allowed = errors
        .filter((e) => e.keyword === 'const' && e.instancePath === error.instancePath)
        .map((e) => JSON.stringify((e.params as { allowedValue: unknown }).allowedValue));
      lines.push(`${error.instancePath || '/'}: must be one of ${allowed.join(', ')}`);
      continue;
    }
    lines.push(describe(error));
  }
  return [...new Set(lines)];
}

function duplicates(ids: readonly string[]): string[] {
  return ids.filter((id, i) => ids.indexOf(id) !== i);
}

/** Problems the schema cannot express: references between zones, receivers and terminals. */
function crossReferences(config: Config): string[] {
  const problems: string[] = [];
  const zones = new Map(config.zones.map((z) => [z.id, z]));
  for (const [list, name] of [
    [config.zones, 'zones'],
    [config.receivers, 'receivers'],
    [config.terminals, 'terminals'],
  ] as const) {
    for (const id of new Set(duplicates(list.map((item) => item.id)))) problems.push(`/${name}: duplicate id "${id}"`);
  }
  config.receivers.forEach((receiver, i) => {
    if (!zones.has(receiver.zone)) problems.push(`/receivers/${i}/zone: unknown zone "${receiver.zone}"`);
  });
  const receivers = new Set(config.receivers.map((r) => r.id));
  const devices = new Set<number>();
  config.ble.adapters.forEach((adapter, i) => {
    if (!receivers.has(adapter.receiver)) problems.push(`/ble/adapters/${i}/receiver: unknown receiver "${adapter.receiver}"`);
    if (devices.has(adapter.device)) problems.push(`/ble/adapters/${i}/device: hci${adapter.device} is listed twice`);
    devices.add(adapter.device);
  });
  const rooms = new Set<string>();
  config.ble.espresense.rooms.forEach((entry, i) => {
    if (!receivers.has(entry.receiver)) problems.push(`/ble/espresense/rooms/${i}/receiver: unknown receiver "${entry.receiver}"`);
    if (rooms.has(entry.room)) problems.push(`/ble/espresense/rooms/${i}/room: room "${entry.room}" is listed twice`);
    rooms.add(entry.room);
  });
  config.cards.quiet.forEach((rule, i) => {
    (rule.zones ?? []).forEach((zone, j) => {
      if (!zones.has(zone)) problems.push(`/cards/quiet/${i}/zones/${j}: unknown zone "${zone}"`);
    });
  });
  config.terminals.forEach((terminal, i) => {
    const zone = zones.get(terminal.zone);
    if (zone === undefined) problems.push(`/terminals/${i}/zone: unknown zone "${terminal.zone}"`);
    else if (zone.kind !== 'pos') problems.push(`/terminals/${i}/zone: zone "${terminal.zone}" is a ${zone.kind} zone, not pos`);
  });
  return [...problems, ...mqttProblems(config), ...cloudConfigProblems(config.cloud)];
}

/** MQTT logins: `via` chains, usernames that would clash in one password file, TLS halves. */
function mqttProblems(config: Config): string[] {
  const problems: string[] = [];
  const receivers = new Map(config.receivers.map((r) => [r.id, r]));
  config.receivers.forEach((receiver, i) => {
    if (receiver.via === undefined) return;
    const login = receivers.get(receiver.via);
    if (login === undefined || receiver.via === receiver.id) problems.push(`/receivers/${i}/via: "${receiver.via}" is not another receiver`);
    else if (login.passwordHash === undefined || login.via !== undefined) problems.push(`/receivers/${i}/via: receiver "${receiver.via}" has no passwordHash of its own`);
    if (receiver.passwordHash !== undefined) problems.push(`/receivers/${i}: a receiver has either its own passwordHash or via, not both`);
  });
  const taken = new Map<string, string>();
  const claim = (username: string, path: string) => {
    const other = taken.get(username);
    if (other !== undefined) problems.push(`${path}: MQTT username "${username}" is also ${other}`);
    else taken.set(username, path);
  };
  config.mqtt.admins.forEach((admin, i) => claim(admin.username, `/mqtt/admins/${i}/username`));
  if (config.ble.espresense.passwordHash !== '') claim(config.ble.espresense.username, '/ble/espresense/username');
  const { username } = config.mqtt;
  if (username.includes(':')) problems.push('/mqtt/username: a colon cannot stand in an MQTT password file');
  // A receiver box logs in as receiver.<id>; the gateway's own name must not look like a terminal's or a receiver's.
  if (username !== '' && config.ble.mode === 'gateway') {
    if (/^(pos|receiver|vitrin)\./.test(username)) problems.push(`/mqtt/username: "${username}" is reserved: pos.*, receiver.* and vitrin.* name terminals, receivers and the embedded broker's own login`);
    else claim(username, '/mqtt/username');
  }
  const { tls, embedded } = config.mqtt;
  if ((tls.cert === '') !== (tls.key === '')) problems.push(`/mqtt/tls: cert and key go together; ${tls.cert === '' ? 'cert' : 'key'} is empty`);
  if (tls.cert !== '' && tls.port !== 0 && tls.port === embedded.port) problems.push(`/mqtt/tls/port: ${tls.port} is also mqtt.embedded.port`);
  return problems;
}

/** Every problem with its JSON path; an empty list means the config is usable. Fills schema defaults in place. */
export function configProblems(candidate: unknown): string[] {
  if (!validateSchema(candidate)) return summarise(validateSchema.errors ?? []);
  return crossReferences(candidate);
}
