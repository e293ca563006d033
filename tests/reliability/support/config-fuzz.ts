import { pick, randomBytes, type Random } from './fuzz.js';

// Broken store config files: a good file with lines dropped, repeated, swapped or
// mis-indented, values of the wrong type or out of range, YAML syntax errors, and whole
// files that are not YAML at all (binary, UTF-16, NUL bytes, an alias bomb, endless
// nesting, prototype keys).

const WRONG_VALUES = ['', '~', 'null', '-1', '0', '1e400', '99999999999999999999', '.nan', '-.inf', 'true', '"1883"', '[1, 2]', '{a: 1}', '"x"', `"${'z'.repeat(2_000)}"`, '!!binary AAAA', '&anchor 3', '*undefined_alias', '"\\u0000"', '0x1BB', '2026-11-23', '"../../../etc/shadow"'];

const WHOLE_FILES: readonly ((random: Random) => string | Buffer)[] = [
  () => '',
  () => '\n\n\n',
  () => 'just a string',
  () => '- a\n- list\n',
  () => '42',
  (random) => randomBytes(random, 1 + Math.floor(random() * 2_000)),
  () => Buffer.from('store: { id: s1 }\n', 'utf16le'),
  () => `\ufeffstore: { id: bom-store }\n`,
  () => 'store:\n\tid: tabbed\n',
  () => 'store: { id: s1 }\u0000\nmode: demo\n',
  () => ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 9 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`)].join('\n'),
  () => `${'a:\n  '.repeat(1)}${Array.from({ length: 5_000 }, (_, i) => `${' '.repeat(Math.min(i, 200))}- `).join('\n')}`,
  () => `${'['.repeat(10_000)}${']'.repeat(10_000)}`,
  () => '__proto__: { mode: production }\nstore: { id: proto }\n',
  () => 'constructor: { prototype: { polluted: true } }\n',
  () => 'store: { id: s1 }\nstore: { id: s2 }\n',
  () => 'http: { port: !!js/function "function () { return 1 }" }\n',
  () => '<<: *missing\n',
  () => '%YAML 9.9\n---\nstore: {}\n',
  () => '--- !<tag:yaml.org,2002:python/object/apply:os.system> ["id"]\n',
  () => `store: { id: ${'x'.repeat(200_000)} }\n`,
];

/** A broken variant of `good`, a store config that passes `vitrin config check`. */
export function brokenConfig(random: Random, good: string): string | Buffer {
  if (random() < 0.2) return pick(random, WHOLE_FILES)(random);
  const lines = good.split('\n');
  for (let n = 1 + Math.floor(random() * 3); n > 0; n--) {
    const i = Math.floor(random() * lines.length);
    const line = lines[i] ?? '';
    switch (Math.floor(random() * 7)) {
      case 0:
        lines.splice(i, 1);
        break;
      case 1:
        lines.splice(i, 0, line);
        break;
      case 2:
        lines[i] = ` ${line}`;
        break;
      case 3: {
        const j = Math.floor(random() * lines.length);
        lines[i] = lines[j] ?? '';
        lines[j] = line;
        break;
      }
      case 4:
        lines[i] = line.slice(0, Math.floor(random() * line.length));
        break;
      case 5:
        lines[i] = `${line}${pick(random, [':', ' {', ' [', ' - x', ' &a', ' *a', ' !!int', '"', "'", ' #', ' ]', ' }'])}`;
        break;
      default:
        // A value of the wrong type or out of range, where a value was.
        lines[i] = line.replace(/: [^,}\]]+/, `: ${pick(random, WRONG_VALUES)}`);
    }
  }
  return lines.join('\n');
}
