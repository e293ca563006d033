import { Ajv, type ErrorObject } from 'ajv';
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
  return problems;
}

/** Every problem with its JSON path; an empty list means the config is usable. Fills schema defaults in place. */
export function configProblems(candidate: unknown): string[] {
  if (!validateSchema(candidate)) return summarise(validateSchema.errors ?? []);
  return crossReferences(candidate);
}
