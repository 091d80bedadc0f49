// The retention sweep, run by the Cron Trigger (wrangler.toml [triggers]): voicemails and call
// recordings (their recording at the carrier first, then the row), ended calls with their claims, and ring events, each older than
// its setting. Every run does a bounded amount of work (a cron invocation has a limited number of
// subrequests and D1 queries: developers.cloudflare.com/workers/platform/limits/), oldest first, so a
// backlog is worked off over the next runs; each step is idempotent, so a run cut short loses nothing.
import { type Config, readConfig } from "./config";
import type { Env } from "./env";
import { log } from "./log";
import { type DeleteOutcome, deleteRecording } from "./twilio/media";

/** Voicemails (and, apart, call recordings) whose recording is deleted at the carrier per run: one REST request each. */
export const VOICEMAILS_PER_RUN = 20;
/** Rows one DELETE statement removes, and how many such statements a table gets per run. */
export const ROWS_PER_BATCH = 500;
export const BATCHES_PER_TABLE = 5;

export interface RetentionReport {
  voicemails: { deleted: number; kept: number };
  callRecordings: { deleted: number; kept: number };
  calls: number;
  claims: number;
  ringEvents: number;
  /** The reports' rows (docs/reports.md): talk segments and agent state intervals with the calls, missed rings with the ring events. */
  talkSegments: number;
  stateIntervals: number;
  missedRings: number;
}

/** A sweep of a table: deletes up to `limit` of its rows older than `cutoff` and says how many. */
type TableSweep = {
  name: "calls" | "claims" | "ringEvents" | "talkSegments" | "stateIntervals" | "missedRings";
  cutoff: (now: number, c: Config) => number;
  sql: string;
};

const TABLE_SWEEPS: TableSweep[] = [
  {
    // Only ended calls; a call whose voicemail is still kept stays with it (the voicemail shows its caller).
    name: "calls",
    cutoff: (now, c) => now - c.retention.callMs,
    sql: `DELETE FROM calls WHERE call_sid IN (
            SELECT call_sid FROM calls WHERE ended_at < ?1 AND call_sid NOT IN (SELECT call_sid FROM voicemails)
            ORDER BY ended_at LIMIT ?2)`,
  },
  {
    // A claim is part of its call's record: kept as long as its call is (a call lasts hours, not
    // days), and so also while the call's voicemail is kept.
    name: "claims",
    cutoff: (now, c) => now - c.retention.callMs,
    sql: `DELETE FROM call_claims WHERE id IN (
            SELECT id FROM call_claims WHERE claimed_at < ?1 AND call_sid NOT IN (SELECT call_sid FROM voicemails)
            ORDER BY claimed_at LIMIT ?2)`,
  },
  {
    name: "ringEvents",
    cutoff: (now, c) => now - c.retention.ringEventMs,
    sql: `DELETE FROM ring_events WHERE id IN (SELECT id FROM ring_events WHERE at < ?1 ORDER BY at LIMIT ?2)`,
  },
  {
    // The reports' figures of a period go with its calls: kept as long as they are.
    name: "talkSegments",
    cutoff: (now, c) => now - c.retention.callMs,
    sql: `DELETE FROM talk_segments WHERE rowid IN (
            SELECT rowid FROM talk_segments WHERE started_at < ?1 AND ended_at < ?1 ORDER BY started_at LIMIT ?2)`,
  },
  {
    // Only closed intervals: an agent away since before the cutoff keeps their open one.
    name: "stateIntervals",
    cutoff: (now, c) => now - c.retention.callMs,
    sql: `DELETE FROM agent_state_log WHERE id IN (
            SELECT id FROM agent_state_log WHERE started_at < ?1 AND ended_at < ?1 ORDER BY started_at LIMIT ?2)`,
  },
  {
    name: "missedRings",
    cutoff: (now, c) => now - c.retention.ringEventMs,
    sql: `DELETE FROM missed_rings WHERE rowid IN (SELECT rowid FROM missed_rings WHERE at < ?1 ORDER BY at LIMIT ?2)`,
  },
];

/** `exports` reaches the carrier simulator through the worker's own entrypoint (ctx.exports). */
export async function sweepRetention(env: Env, exports: unknown, now = Date.now()): Promise<RetentionReport> {
  const config = readConfig(env);
  const report: RetentionReport = {
    voicemails: await sweepRecordings(env, config, exports, VOICEMAIL_SWEEP, now - config.retention.voicemailMs),
    callRecordings: await sweepRecordings(env, config, exports, CALL_RECORDING_SWEEP, now - config.retention.recordingMs),
    calls: 0,
    claims: 0,
    ringEvents: 0,
    talkSegments: 0,
    stateIntervals: 0,
    missedRings: 0,
  };
  for (const sweep of TABLE_SWEEPS) {
    const cutoff = sweep.cutoff(now, config);
    for (let batch = 0; batch < BATCHES_PER_TABLE; batch++) {
      const result = await env.DB.prepare(sweep.sql).bind(cutoff, ROWS_PER_BATCH).run();
      const changes = result.meta.changes ?? 0;
      report[sweep.name] += changes;
      if (changes < ROWS_PER_BATCH) break;
    }
  }
  log("retention.swept", { ...report });
  return report;
}

/** A table of rows that each hold a recording at the carrier: its oldest rows, and how to delete some. */
interface RecordingSweep {
  what: "voicemails" | "call_recordings";
  /** id, recordingSid and callSid of up to ?2 rows created before ?1, oldest first. */
  select: string;
  /** Deletes the rows whose ids are bound. */
  remove: (count: number) => string;
}

const VOICEMAIL_SWEEP: RecordingSweep = {
  what: "voicemails",
  select: "SELECT id, recording_sid AS recordingSid, call_sid AS callSid FROM voicemails WHERE created_at < ?1 ORDER BY created_at LIMIT ?2",
  remove: (n) => `DELETE FROM voicemails WHERE id IN (${Array(n).fill("?").join(",")})`,
};

const CALL_RECORDING_SWEEP: RecordingSweep = {
  what: "call_recordings",
  select: "SELECT recording_sid AS id, recording_sid AS recordingSid, call_sid AS callSid FROM call_recordings WHERE created_at < ?1 ORDER BY created_at LIMIT ?2",
  remove: (n) => `DELETE FROM call_recordings WHERE recording_sid IN (${Array(n).fill("?").join(",")})`,
};

/**
 * The recording is deleted at the carrier first, then the row: a row is never gone while its
 * recording stays at Twilio unseen. A 404 there means it is gone already; any other failure keeps the
 * row, and the next run tries again.
 */
async function sweepRecordings(env: Env, config: Config, exports: unknown, sweep: RecordingSweep, cutoff: number): Promise<{ deleted: number; kept: number }> {
  const { results } = await env.DB.prepare(sweep.select).bind(cutoff, VOICEMAILS_PER_RUN).all<{ id: string; recordingSid: string; callSid: string }>();
  if (results.length === 0) return { deleted: 0, kept: 0 };
  if (config.carrier === null) {
    log("retention.recordings_waiting", { what: sweep.what, count: results.length, why: config.carrierError }, "warn");
    return { deleted: 0, kept: results.length };
  }
  const done: string[] = [];
  for (const v of results) {
    const { outcome, error } = await deleteRecording(env, config, exports, v.recordingSid);
    if (outcome === "failed") log("retention.recording_delete_failed", { what: sweep.what, callSid: v.callSid, recordingSid: v.recordingSid, error }, "error");
    else done.push(v.id);
    log("retention.recording", { what: sweep.what, callSid: v.callSid, recordingSid: v.recordingSid, outcome: outcome satisfies DeleteOutcome });
  }
  if (done.length > 0) {
    await env.DB.prepare(sweep.remove(done.length))
      .bind(...done)
      .run();
  }
  return { deleted: done.length, kept: results.length - done.length };
}
