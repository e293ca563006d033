import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { RosterMemberV1 } from '../contracts/roster.js';
import { contractChecker } from '../contracts/validator.js';
import { VitrinError } from '../errors.js';
import { memberFromRecord, recordFromMember } from './roster-file.js';
import type { Member } from './roster.js';

// Members at rest: AES-256-GCM over the whole record (identity key, consent, profile),
// a fresh 12-byte nonce per record, and the member id as associated data, so a sealed
// record cannot be moved to another member's row. Layout: version byte, nonce, tag,
// ciphertext.

const VERSION = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEY_CHECK_ID = 'vitrin:roster-key-check';
const KEY_CHECK_TEXT = 'vitrin roster key check';
const checkRecord = contractChecker(RosterMemberV1);

export class RosterCipher {
  constructor(private readonly key: Uint8Array) {
    if (key.length !== 32) throw new VitrinError('VITRIN_ERR_ROSTER_KEY', 'the roster key must be 32 bytes');
  }

  seal(member: Member): Buffer {
    return this.sealText(member.id, JSON.stringify(recordFromMember(member)));
  }

  /** Throws VITRIN_ERR_ROSTER_KEY when the record was sealed under another key or changed since. */
  open(memberId: string, sealed: Uint8Array): Member {
    const record: unknown = JSON.parse(this.openText(memberId, sealed));
    if (checkRecord(record).length > 0 || (record as { id?: unknown }).id !== memberId) {
      throw new VitrinError('VITRIN_ERR_ROSTER_KEY', 'a stored member record is not a roster member');
    }
    return memberFromRecord(record as Parameters<typeof memberFromRecord>[0]);
  }

  /** A small sealed value stored with the roster, to tell a wrong key apart from a damaged record. */
  keyCheck(): Buffer {
    return this.sealText(KEY_CHECK_ID, KEY_CHECK_TEXT);
  }

  opensKeyCheck(sealed: Uint8Array): boolean {
    try {
      return this.openText(KEY_CHECK_ID, sealed) === KEY_CHECK_TEXT;
    } catch {
      return false;
    }
  }

  private sealText(associated: string, text: string): Buffer {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(associated, 'utf8'));
    const body = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.of(VERSION), nonce, cipher.getAuthTag(), body]);
  }

  private openText(associated: string, sealed: Uint8Array): string {
    const bytes = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
    if (bytes.length < 1 + NONCE_BYTES + TAG_BYTES || bytes[0] !== VERSION) {
      throw new VitrinError('VITRIN_ERR_ROSTER_KEY', 'a stored member record has an unknown layout');
    }
    const decipher = createDecipheriv('aes-256-gcm', this.key, bytes.subarray(1, 1 + NONCE_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(associated, 'utf8'));
    decipher.setAuthTag(bytes.subarray(1 + NONCE_BYTES, 1 + NONCE_BYTES + TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(bytes.subarray(1 + NONCE_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch (cause) {
      throw new VitrinError('VITRIN_ERR_ROSTER_KEY', 'a stored member record does not open with this roster key', { cause });
    }
  }
}
