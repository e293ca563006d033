import { createHash, randomBytes, randomInt, randomUUID } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VitrinError } from '../errors.js';
import type { Clock } from '../ports.js';

// Advisor tablets. Store IT makes a one-time pairing code on the admin page, bound to
// zones; the tablet enters it and gets a token for those zones, kept as a cookie. The
// gateway keeps only each token's sha256, in <data.dir>/tablets.json, so a copy of the
// data folder does not let anyone in; revoking a tablet ends its access at once.

export interface Tablet {
  readonly id: string;
  readonly label: string;
  readonly zones: readonly string[];
  readonly createdAt: string;
  readonly revokedAt?: string;
}

interface StoredTablet extends Tablet {
  readonly tokenSha256: string;
}

interface PendingCode {
  readonly label: string;
  readonly zones: readonly string[];
  readonly expiresAt: number;
}

/** No 0/O, 1/I/L: read off a screen and typed on a tablet without mistakes. */
const CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
const CODE_LENGTH = 8;
const MAX_PENDING_CODES = 50;
const MAX_TABLETS = 500;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export class TabletRegistry {
  private readonly codes = new Map<string, PendingCode>();
  private tablets: StoredTablet[];
  private readonly file: string;

  constructor(
    dataDir: string,
    private readonly clock: Clock,
  ) {
    this.file = join(dataDir, 'tablets.json');
    this.tablets = this.read();
  }

  /** A one-time code for a tablet in `zones`, valid for `ttlMinutes`. */
  createCode(label: string, zones: readonly string[], ttlMinutes = 15): { code: string; expiresAt: string } {
    this.dropExpired();
    if (this.codes.size >= MAX_PENDING_CODES) throw new VitrinError('VITRIN_ERR_PAIRING', 'too many pairing codes waiting; let some expire');
    let code = '';
    for (let i = 0; i < CODE_LENGTH; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
    const expiresAt = this.clock.now() + ttlMinutes * 60_000;
    this.codes.set(code, { label, zones: [...zones], expiresAt });
    return { code, expiresAt: new Date(expiresAt).toISOString() };
  }

  /** Trades a code for a tablet and its token; a code works once. */
  redeem(code: string): { tablet: Tablet; token: string } {
    this.dropExpired();
    const normalised = code.toUpperCase().replace(/[\s-]/g, '');
    const pending = this.codes.get(normalised);
    if (pending === undefined) throw new VitrinError('VITRIN_ERR_PAIRING', 'this pairing code is unknown or has expired; ask store IT for a new one');
    this.codes.delete(normalised);
    if (this.tablets.filter((t) => t.revokedAt === undefined).length >= MAX_TABLETS) throw new VitrinError('VITRIN_ERR_PAIRING', 'too many tablets paired; revoke old ones');
    const token = randomBytes(32).toString('base64url');
    const tablet: StoredTablet = { id: randomUUID(), label: pending.label, zones: pending.zones, createdAt: new Date(this.clock.now()).toISOString(), tokenSha256: sha256(token) };
    this.tablets = [...this.tablets, tablet];
    this.write();
    return { tablet: publicView(tablet), token };
  }

  /** The tablet a token belongs to, unless revoked. */
  byToken(token: string | undefined): Tablet | undefined {
    if (token === undefined || token === '') return undefined;
    const hash = sha256(token);
    const tablet = this.tablets.find((t) => t.tokenSha256 === hash && t.revokedAt === undefined);
    return tablet === undefined ? undefined : publicView(tablet);
  }

  list(): Tablet[] {
    return this.tablets.map(publicView);
  }

  revoke(id: string): boolean {
    const found = this.tablets.find((t) => t.id === id && t.revokedAt === undefined);
    if (found === undefined) return false;
    const revokedAt = new Date(this.clock.now()).toISOString();
    this.tablets = this.tablets.map((t) => (t.id === id ? { ...t, revokedAt } : t));
    this.write();
    return true;
  }

  private dropExpired(): void {
    const now = this.clock.now();
    for (const [code, pending] of this.codes) if (pending.expiresAt <= now) this.codes.delete(code);
  }

  private read(): StoredTablet[] {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new VitrinError('VITRIN_ERR_PAIRING', `cannot read ${this.file}`, { cause: err });
    }
    try {
      const parsed = JSON.parse(text) as { tablets?: StoredTablet[] };
      return Array.isArray(parsed.tablets) ? parsed.tablets.filter((t) => typeof t.id === 'string' && typeof t.tokenSha256 === 'string' && Array.isArray(t.zones)) : [];
    } catch (cause) {
      throw new VitrinError('VITRIN_ERR_PAIRING', `${this.file} is not valid JSON; remove it to pair the tablets again`, { cause });
    }
  }

  /** Written to a temporary file and renamed: a crash leaves the old list or the new one, never half. */
  private write(): void {
    const temporary = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify({ tablets: this.tablets }, null, 2)}\n`, { mode: 0o600 });
    renameSync(temporary, this.file);
  }
}

function publicView(tablet: StoredTablet): Tablet {
  return { id: tablet.id, label: tablet.label, zones: tablet.zones, createdAt: tablet.createdAt, ...(tablet.revokedAt === undefined ? {} : { revokedAt: tablet.revokedAt }) };
}
