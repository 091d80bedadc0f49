// How a call session keeps its outbox in storage: one key per entry, so that no stored value grows
// with the backlog (a Durable Object's value is limited to 2 MB: developers.cloudflare.com/durable-objects/platform/limits/),
// and at most OUTBOX_MAX_ENTRIES keys, so that a long D1 or switchboard outage cannot grow it without end.
import { isCallMessage } from "../protocol";
import type { Effect } from "./machine";
import type { OutboxEntry } from "./record";

export const OUTBOX_PREFIX = "outbox:";
/** Before one key per entry, the whole outbox was one array under this key: read once, then moved. */
export const LEGACY_OUTBOX_KEY = "outbox";
/**
 * Entries a call session keeps waiting. Only an outage fills it: normally one entry waits, for the
 * length of one drain. A call makes a few dozen decisions in its life, so 200 is reached only by a
 * call that goes on deciding (claims and releases, callbacks) through a long outage.
 */
export const OUTBOX_MAX_ENTRIES = 200;
/** A folded entry grows by the D1 writes of the entries folded into it, up to this (far under 2 MB). */
export const MAX_FOLDED_BYTES = 256 * 1024;

/** The D1 writes that are history rather than state: the first to go when a folded entry is too big. */
const AUDIT = new Set<Effect["type"]>(["record", "claimStarted", "claimEnded"]);

export interface Stored {
  key: string;
  entry: OutboxEntry;
}

/** Keys sort in decision order. */
export function outboxKey(seq: number): string {
  return OUTBOX_PREFIX + String(seq).padStart(12, "0");
}

export function outboxSeq(key: string): number {
  return Number(key.slice(OUTBOX_PREFIX.length));
}

export interface Folded {
  outbox: Stored[];
  /** Keys no longer in the outbox. */
  deleted: string[];
  /** Entries whose stored value changed. */
  rewritten: Stored[];
  /** Audit rows (ring events, claims) given up on to keep a folded entry under MAX_FOLDED_BYTES (0 unless the outage is extreme). */
  droppedRecords: number;
}

/**
 * While over `max`, folds the oldest entry into the next one. What folding keeps, and why it is
 * lossless for D1: every D1 write of the older entry (ring events, claims, who holds the call, the
 * lot, the voicemail) moves, in order, to the front of the newer entry, whose call view is newer (and
 * D1's calls row is written from the newest view of a drain anyway). What it drops is the older
 * entry's call messages: the newer entry and those after it carry the call's newer views, and a
 * console keeps the view with the highest seq (other messages, such as a new voicemail, are carried). Only if a folded entry would pass MAX_FOLDED_BYTES are
 * the older entry's audit rows (ring events and claim rows) dropped, counted so that the caller logs
 * it; what is left (who holds the call, the lot, the voicemail) is the state D1 must end up with.
 */
export function fold(outbox: Stored[], max = OUTBOX_MAX_ENTRIES): Folded {
  const out = outbox.slice();
  const deleted: string[] = [];
  const rewritten = new Map<string, Stored>();
  let droppedRecords = 0;
  while (out.length > max && out.length >= 2) {
    const [older, newer] = out as [Stored, Stored, ...Stored[]];
    // A call's older view is replaced by the newer entry's; any other message (a voicemail's notice) is not.
    const carried = older.entry.effects.filter((e: Effect) => e.type !== "publish" || !isCallMessage(e.message));
    let merged: Stored = { key: newer.key, entry: { call: newer.entry.call, effects: [...carried, ...newer.entry.effects] } };
    if (JSON.stringify(merged.entry).length > MAX_FOLDED_BYTES) {
      const kept = carried.filter((e) => !AUDIT.has(e.type));
      droppedRecords += carried.length - kept.length;
      merged = { key: newer.key, entry: { call: newer.entry.call, effects: [...kept, ...newer.entry.effects] } };
    }
    out.splice(0, 2, merged);
    deleted.push(older.key);
    rewritten.delete(older.key);
    rewritten.set(merged.key, merged);
  }
  return { outbox: out, deleted, rewritten: [...rewritten.values()], droppedRecords };
}
