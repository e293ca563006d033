// The MQTT contract's topic names (README: "MQTT topics"). Base: vitrin/<storeId>/.

export interface Topics {
  readonly base: string;
  /** Retained `online` / `offline`; `offline` is also the connection's last will. */
  readonly state: string;
  /** Retained: version, model, config digest. */
  readonly info: string;
  /** Retained: status, checks and counts, every mqtt.healthSeconds and on change. */
  readonly health: string;
  readonly cards: (terminalId: string) => string;
  /** Retained list of members whose cards are current on this terminal. */
  readonly present: (terminalId: string) => string;
  /** Feedback from a terminal about its cards. */
  readonly feedback: (terminalId: string) => string;
  readonly allFeedback: string;
  /** Where a terminal hears what was wrong with its feedback. */
  readonly errors: (terminalId: string) => string;
  /** Feedback an advisor tablet gave, published as the tills' is received. */
  readonly advisorFeedback: (tabletId: string) => string;
  /** Advertisements heard by a remote receiver (a Vitrin box in receiver mode). */
  readonly sightings: (receiverId: string) => string;
  /** Subscription filter for every receiver's sightings. */
  readonly allSightings: string;
  /** Subscription filter for requests to the gateway: gateway/request/<op>. */
  readonly allRequests: string;
  readonly response: (op: string) => string;
}

export function topicsFor(storeId: string): Topics {
  const base = `vitrin/${storeId}/`;
  return {
    base,
    state: `${base}gateway/state`,
    info: `${base}gateway/info`,
    health: `${base}gateway/health`,
    cards: (terminalId) => `${base}pos/${terminalId}/cards`,
    present: (terminalId) => `${base}pos/${terminalId}/present`,
    feedback: (terminalId) => `${base}pos/${terminalId}/feedback`,
    allFeedback: `${base}pos/+/feedback`,
    errors: (terminalId) => `${base}pos/${terminalId}/errors`,
    advisorFeedback: (tabletId) => `${base}advisor/${tabletId}/feedback`,
    sightings: (receiverId) => `${base}receivers/${receiverId}/sightings`,
    allSightings: `${base}receivers/+/sightings`,
    allRequests: `${base}gateway/request/+`,
    response: (op) => `${base}gateway/response/${op}`,
  };
}
