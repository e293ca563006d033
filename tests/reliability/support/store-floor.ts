import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { encodeEddystoneEid } from '../../../gateway/ble/decode.js';
import type { Card } from '../../../gateway/contracts/card.js';
import type { Sightings } from '../../../gateway/contracts/sightings.js';
import { demoRoster } from '../../../gateway/identity/demo-roster.js';
import { computeEid } from '../../../gateway/identity/eid.js';
import type { Member } from '../../../gateway/identity/roster.js';

// The store the suite runs the real gateway on: demo mode with a large demo roster, a
// simulator that stays almost idle (one walker at start, no strangers), and tills whose
// dwell threshold is one second, so that a member's phone heard by a remote receiver at
// the till makes a card within about two seconds. No cooldown or cap: the crash cycles
// show many cards to the same members.

export const STORE_ID = 'rel-store';
export const BASE = `vitrin/${STORE_ID}/`;
export const ROSTER_SIZE = 1000;
const SEED = 42;
const K = 10;

export function storeYaml(extra = ''): string {
  return `store: { id: ${STORE_ID}, name: Reliability store }
mode: demo
simulator: { seed: ${SEED}, members: ${ROSTER_SIZE}, nonMembers: 0, arrivalEverySeconds: 86400 }
identity: { rotationExponent: ${K} }
log: { level: info }
cards: { cooldownSeconds: 0, dailyCap: 0, dismissalsToSuppress: 1000 }
zones:
  - { id: entrance, name: Entrance, kind: entrance, dwellSeconds: 30 }
  - { id: floor, name: Shop floor, kind: floor, dwellSeconds: 20 }
  - { id: pos-1, name: Till 1, kind: pos, dwellSeconds: 1 }
  - { id: pos-2, name: Till 2, kind: pos, dwellSeconds: 1 }
receivers:
  - { id: rx-entrance, zone: entrance }
  - { id: rx-floor, zone: floor }
  - { id: rx-pos-1, zone: pos-1 }
  - { id: rx-pos-2, zone: pos-2 }
terminals:
  - { id: till-1, zone: pos-1 }
  - { id: till-2, zone: pos-2 }
${extra}`;
}

export function writeStoreConfig(dir: string, extra = ''): string {
  const file = join(dir, 'store.yaml');
  writeFileSync(file, storeYaml(extra));
  return file;
}

let roster: readonly Member[] | undefined;

/** The demo members the gateway seeds from this config; the holdout group never gets a card. */
export function members(): readonly Member[] {
  roster ??= demoRoster(SEED, ROSTER_SIZE, K).members;
  return roster;
}

/** Members who get cards, from `from` on: the simulator's one walker is member 0. */
export function carded(from: number, count: number): Member[] {
  return members().slice(from).filter((m) => !m.holdout).slice(0, count);
}

function address(index: number): string {
  const hex = (0x400000000000 + index).toString(16).padStart(12, '0');
  return hex.match(/../g)!.join(':');
}

/** One sighting of a member's Android phone (Eddystone-EID), heard at `at` by `receiverId`. */
export function sightingsOf(member: Member, receiverId: string, at: number, rssi = -50): Sightings {
  const index = members().indexOf(member);
  const eid = computeEid(member.identityKey, K, Math.floor(at / 1000));
  return {
    schema: 'vitrin.sightings/1',
    receiverId,
    sentAt: new Date(at).toISOString(),
    sightings: [{ address: address(index), addressType: 'random', rssi, data: Buffer.from(encodeEddystoneEid(eid, -20)).toString('hex'), at }],
  };
}

/** A member standing at a till: their phone heard by the till's receiver five times a second until stopped. */
export function standAt(client: MqttClient, member: Member, receiverId: string): () => void {
  const send = () => {
    client.publish(`${BASE}receivers/${receiverId}/sightings`, JSON.stringify(sightingsOf(member, receiverId, Date.now())), { qos: 0 });
  };
  send();
  const timer = setInterval(send, 200);
  return () => clearInterval(timer);
}

/** Cards arriving on a terminal's topic, by member. */
export function cardsOn(client: MqttClient, terminal: string): Map<string, Card> {
  const cards = new Map<string, Card>();
  client.on('message', (topic, payload) => {
    if (topic !== `${BASE}pos/${terminal}/cards`) return;
    const message = JSON.parse(payload.toString()) as Card | { type: 'withdrawn' };
    if (message.type === 'card') cards.set(message.memberId, message);
  });
  return cards;
}
