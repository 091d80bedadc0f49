import { DurableObject } from "cloudflare:workers";
import { readConfig } from "../config";
import { openDb } from "../db/client";
import type { Env } from "../env";
import { log } from "../log";
import type { CallView } from "../protocol";
import { switchboard } from "../switchboard/stub";
import { type CallState, type DialStatus, type Input, type LegStatus, type Recording, type Reply, nextAlarm, transition, view } from "./machine";
import { applyEntries, type OutboxEntry } from "./record";

const STATE_KEY = "state";
const OUTBOX_PREFIX = "outbox:";
const OUTBOX_COUNTER_KEY = "outboxCounter";
/** Retry delay when D1 or the switchboard could not be reached; doubles up to a minute. */
const RETRY_BASE_MS = 500;

/**
 * One inbound call, named by its parent CallSid. A thin shell over the pure machine in ./machine.ts:
 * each input is decided and saved, together with its effects (an outbox), in one synchronous block,
 * so concurrent claims are decided strictly one after another and a decision survives eviction.
 * The outbox is then drained to D1 and the switchboard, and retried from the alarm if that fails.
 */
export class CallSession extends DurableObject<Env> {
  private state: CallState | null;
  private draining: Promise<void> | null = null;
  private retries = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // Runs again after eviction or hibernation: SQLite-backed storage reads are synchronous.
    this.state = ctx.storage.kv.get<CallState>(STATE_KEY) ?? null;
  }

  start(callSid: string, from: string, to: string, ringGroup: string[]) {
    return this.decide(callSid, { type: "start", from, to, ringGroup, at: Date.now() });
  }

  claim(callSid: string, agentId: string) {
    return this.decide(callSid, { type: "claim", agentId, at: Date.now() });
  }

  decline(callSid: string, agentId: string) {
    return this.decide(callSid, { type: "decline", agentId, at: Date.now() });
  }

  leg(callSid: string, agentId: string, legSid: string, status: LegStatus, sequence: number) {
    return this.decide(callSid, { type: "leg", agentId, legSid, status, sequence, at: Date.now() });
  }

  dialEnded(callSid: string, status: DialStatus, callerGone: boolean) {
    return this.decide(callSid, { type: "dialEnded", status, callerGone, at: Date.now() });
  }

  callerStatus(callSid: string, status: string) {
    return this.decide(callSid, { type: "callerStatus", status, at: Date.now() });
  }

  voicemailRecorded(callSid: string, recording: Recording) {
    return this.decide(callSid, { type: "voicemailRecorded", recording, at: Date.now() });
  }

  view(): CallView | null {
    return this.state ? view(this.state) : null;
  }

  async alarm(): Promise<void> {
    if (this.state) await this.decide(this.state.callSid, { type: "alarm", at: Date.now() });
    await this.drain();
    await this.scheduleAlarm();
  }

  private async decide(callSid: string, input: Input): Promise<Reply> {
    const { claimLeaseMs, ringGiveUpMs } = readConfig(this.env);
    const step = transition(this.state, input, { leaseMs: claimLeaseMs, ringGiveUpMs }, callSid);
    // Everything from here to the storage writes is synchronous: no other input can interleave,
    // and the writes commit together before any reply leaves the object (output gate).
    if (step.state !== this.state && step.state) {
      this.state = step.state;
      this.ctx.storage.kv.put(STATE_KEY, step.state);
    }
    if (step.effects.length > 0 && this.state) {
      // Its own counter, not the call's seq: a step may publish without recording an event.
      const n = (this.ctx.storage.kv.get<number>(OUTBOX_COUNTER_KEY) ?? 0) + 1;
      this.ctx.storage.kv.put(OUTBOX_COUNTER_KEY, n);
      const entry: OutboxEntry = { call: view(this.state), effects: step.effects };
      this.ctx.storage.kv.put(OUTBOX_PREFIX + String(n).padStart(12, "0"), entry);
    }
    log("call.decision", {
      callSid,
      agentId: "agentId" in input ? input.agentId : null,
      input: input.type,
      ...("status" in input ? { status: input.status } : {}),
      reply: step.reply,
      phase: this.state?.phase ?? null,
    });
    if (step.effects.length > 0) {
      await this.scheduleAlarm();
      // Answer only once D1 and every console know: the caller of claim() can rely on it.
      await this.drain();
    }
    return step.reply;
  }

  /** Applies pending outbox entries in order; one drain at a time, each picking up what arrived meanwhile. */
  private drain(): Promise<void> {
    this.draining ??= this.drainLoop().finally(() => {
      this.draining = null;
    });
    return this.draining;
  }

  private async drainLoop(): Promise<void> {
    const db = openDb(this.env.DB);
    for (;;) {
      const pending = [...this.ctx.storage.kv.list<OutboxEntry>({ prefix: OUTBOX_PREFIX })];
      if (pending.length === 0) break;
      try {
        const messages = await applyEntries(
          db,
          pending.map(([, e]) => e),
        );
        await switchboard(this.env).publish(messages);
        for (const [key] of pending) this.ctx.storage.kv.delete(key);
        this.retries = 0;
      } catch (err) {
        this.retries++;
        log("call.outbox_failed", { callSid: this.state?.callSid, error: String(err), retries: this.retries }, "error");
        await this.scheduleAlarm();
        return;
      }
    }
    await this.scheduleAlarm();
  }

  private async scheduleAlarm(): Promise<void> {
    const pending = this.ctx.storage.kv.list({ prefix: OUTBOX_PREFIX, limit: 1 });
    const retryAt = [...pending].length > 0 ? Date.now() + Math.min(60_000, RETRY_BASE_MS * 2 ** this.retries) : null;
    const due = [nextAlarm(this.state), retryAt].filter((t): t is number => t !== null);
    if (due.length === 0) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(Math.min(...due));
  }
}
