import { DurableObject } from "cloudflare:workers";
import { readConfig } from "../config";
import { openDb } from "../db/client";
import { releaseSlot, reserveSlot } from "../db/parking";
import type { Env } from "../env";
import { log } from "../log";
import type { CallView } from "../protocol";
import { switchboard } from "../switchboard/stub";
import { dialUrls, twilioUrls } from "../twilio/paths";
import { carrierRest } from "../twilio/rest";
import { holdTwiml, ringGroupTwiml, voicemailTwiml } from "../twilio/twiml";
import { ringableAgents } from "./available";
import {
  type CallConfig,
  type CallState,
  type DialStatus,
  type Effect,
  type Input,
  type LegStatus,
  type Recording,
  type Reply,
  nextAlarm,
  recallDue,
  transition,
  view,
} from "./machine";
import { applyEntries, type OutboxEntry } from "./record";

const STATE_KEY = "state";
const OUTBOX_KEY = "outbox";
/** Retry delay when D1 or the switchboard could not be reached; doubles up to a minute. */
const RETRY_BASE_MS = 500;
/** At the latest, the outbox left by a crash in the middle of a drain is applied this long after. */
const OUTBOX_GUARD_MS = 60_000;
/** Slots past PARK_SLOTS a transfer may hold, so that a declined transfer always has a slot to return to. */
const TRANSFER_OVERFLOW_SLOTS = 1000;

type Redirect = Extract<Effect, { type: "redirect" }>;

/**
 * One inbound call, named by its parent CallSid. A thin shell over the pure machine in ./machine.ts:
 * each input is decided and saved, together with its effects (an outbox), in one synchronous block,
 * so concurrent claims are decided strictly one after another and a decision survives eviction.
 * The outbox is then drained to D1 and the switchboard, and retried from the alarm if that fails.
 */
export class CallSession extends DurableObject<Env> {
  private state: CallState | null;
  /**
   * Effects decided but not yet in D1 and on the consoles, oldest first: one storage key, mirrored
   * here. One key rather than a key per entry: listing and deleting keys one by one was the call
   * session's biggest cost under load (bench profile, docs/benchmarks.md).
   */
  private outbox: OutboxEntry[];
  /** The alarm as last set by this instance (undefined: not known since it started). */
  private alarmAt: number | null | undefined = undefined;
  private draining: Promise<void> | null = null;
  private retries = 0;
  /** Park and transfer reserve a slot before they are decided: one at a time per call. */
  private commands: Promise<unknown> = Promise.resolve();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // Runs again after eviction or hibernation: SQLite-backed storage reads are synchronous.
    this.state = ctx.storage.kv.get<CallState>(STATE_KEY) ?? null;
    this.outbox = ctx.storage.kv.get<OutboxEntry[]>(OUTBOX_KEY) ?? [];
  }

  start(callSid: string, from: string, to: string, ringGroup: string[], origin: string) {
    return this.decide(callSid, { type: "start", from, to, ringGroup, origin, at: Date.now() });
  }

  claim(callSid: string, agentId: string) {
    return this.decide(callSid, { type: "claim", agentId, at: Date.now() });
  }

  decline(callSid: string, agentId: string) {
    return this.decide(callSid, { type: "decline", agentId, at: Date.now() });
  }

  leg(callSid: string, agentId: string, legSid: string, status: LegStatus, sequence: number, dial: number) {
    return this.decide(callSid, { type: "leg", agentId, legSid, status, sequence, dial, at: Date.now() });
  }

  dialEnded(callSid: string, status: DialStatus, callerGone: boolean, dial: number) {
    return this.decide(callSid, { type: "dialEnded", status, callerGone, dial, at: Date.now() });
  }

  /** 409 with no lot: every slot is taken, and the call stays with the agent. */
  park(callSid: string, agentId: string): Promise<Reply> {
    return this.withSlot(callSid, agentId, readConfig(this.env).parkSlots, (slot) => ({ type: "park", agentId, slot, at: Date.now() }));
  }

  transfer(callSid: string, agentId: string, to: string): Promise<Reply> {
    const upTo = readConfig(this.env).parkSlots + TRANSFER_OVERFLOW_SLOTS;
    return this.withSlot(callSid, agentId, upTo, (slot) => ({ type: "transfer", agentId, to, slot, at: Date.now() }));
  }

  /** Decided at once, in arrival order, like a claim: exactly one retrieve wins. */
  retrieve(callSid: string, agentId: string) {
    return this.decide(callSid, { type: "retrieve", agentId, at: Date.now() });
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
    this.alarmAt = null; // a fired alarm is gone
    if (this.state && recallDue(this.state, Date.now())) {
      // Who can take the call back is read now, not when it was parked. A failure here throws, and
      // the runtime retries the alarm.
      const available = await ringableAgents(this.env, openDb(this.env.DB));
      await this.decide(this.state.callSid, { type: "recall", available, at: Date.now() });
    }
    if (this.state) await this.decide(this.state.callSid, { type: "alarm", at: Date.now() });
    await this.drain();
    await this.scheduleAlarm();
  }

  private callConfig(): CallConfig {
    const { claimLeaseMs, ringGiveUpMs, parkTimeoutMs } = readConfig(this.env);
    return { leaseMs: claimLeaseMs, ringGiveUpMs, parkTimeoutMs };
  }

  /**
   * Reserves a parking slot in D1, then decides; gives the slot back if the step was refused.
   * A dry run first (the machine is pure) refuses what it would refuse anyway without touching D1.
   */
  private withSlot(callSid: string, agentId: string, upTo: number, input: (slot: number) => Input): Promise<Reply> {
    const run = async (): Promise<Reply> => {
      const dry = transition(this.state, input(0), this.callConfig(), callSid).reply;
      if ("status" in dry && dry.status !== 200) return dry;
      const db = openDb(this.env.DB);
      const slot = await reserveSlot(this.env.DB, callSid, agentId, upTo);
      if (slot === null) return { kind: "park", status: 409, lot: null };
      const reply = await this.decide(callSid, input(slot));
      if ("status" in reply && reply.status !== 200 && reply.status !== 502) await releaseSlot(db, callSid, slot);
      return reply;
    };
    const next = this.commands.then(run, run);
    this.commands = next.catch(() => undefined);
    return next;
  }

  private async decide(callSid: string, input: Input): Promise<Reply> {
    const step = transition(this.state, input, this.callConfig(), callSid);
    const redirects = step.effects.filter((e): e is Redirect => e.type === "redirect");
    const effects = step.effects.filter((e) => e.type !== "redirect");
    // Everything from here to the storage writes is synchronous: no other input can interleave,
    // and the writes commit together before any reply leaves the object (output gate).
    if (step.state !== this.state && step.state) {
      this.state = step.state;
      this.ctx.storage.kv.put(STATE_KEY, step.state);
    }
    if (effects.length > 0 && this.state) {
      this.outbox.push({ call: view(this.state), effects });
      this.ctx.storage.kv.put(OUTBOX_KEY, this.outbox);
    }
    log("call.decision", {
      callSid,
      agentId: "agentId" in input ? input.agentId : null,
      input: input.type,
      ...("status" in input ? { status: input.status } : {}),
      reply: step.reply,
      phase: this.state?.phase ?? null,
    });
    if (effects.length > 0) {
      await this.guardOutbox();
      // Answer only once D1 and every console know: the caller of claim() can rely on it.
      await this.drain();
    }
    let reply = step.reply;
    for (const r of redirects) {
      const moved = await this.redirect(callSid, r);
      if (!moved && (reply.kind === "park" || reply.kind === "retrieve" || reply.kind === "transfer") && reply.status === 200) {
        reply = { ...reply, status: 502 };
      }
    }
    return reply;
  }

  /**
   * Moves the call at Twilio (REST calls(sid).update with TwiML). The step is saved first, so the
   * callbacks this triggers (the old leg dropping, the old dial's action) already find the new state.
   * A refusal is fed back to the machine, which undoes the step.
   */
  private async redirect(callSid: string, r: Redirect): Promise<boolean> {
    const config = readConfig(this.env);
    const urls = dialUrls(twilioUrls(this.state?.origin ?? config.publicUrl ?? ""), r.dial);
    const t = r.target;
    const twiml =
      t.to === "hold"
        ? holdTwiml(config.holdMusicUrl)
        : t.to === "voicemail"
          ? voicemailTwiml(urls, { greeting: config.voicemailGreeting, maxSeconds: config.voicemailMaxSeconds })
          : ringGroupTwiml(callSid, t.agents, urls, { timeoutSeconds: config.ringTimeoutSeconds, purpose: t.purpose, transferFrom: t.transferFrom });
    try {
      await carrierRest(this.env, config, this.ctx.exports).calls(callSid).update({ twiml });
      log("call.redirected", { callSid, dial: r.dial, to: t.to, ...(t.to === "dial" ? { agents: t.agents, purpose: t.purpose } : {}) });
      return true;
    } catch (err) {
      const error = String(err).slice(0, 300);
      log("call.redirect_failed", { callSid, dial: r.dial, to: t.to, error }, "error");
      await this.decide(callSid, { type: "redirectFailed", dial: r.dial, error, at: Date.now() });
      return false;
    }
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
    while (this.outbox.length > 0) {
      const pending = this.outbox.slice();
      try {
        const messages = await applyEntries(db, pending);
        await switchboard(this.env).publish(messages);
        // Entries decided while these were applied stay, in order, for the next turn of the loop.
        this.outbox.splice(0, pending.length);
        if (this.outbox.length > 0) this.ctx.storage.kv.put(OUTBOX_KEY, this.outbox);
        else this.ctx.storage.kv.delete(OUTBOX_KEY);
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

  /**
   * Before a drain: an alarm soon enough that entries a crash left behind are still applied. Usually
   * the call's own alarm (the ring's give-up) is already that soon, and nothing is written.
   */
  private async guardOutbox(): Promise<void> {
    const by = Math.min(Date.now() + OUTBOX_GUARD_MS, nextAlarm(this.state) ?? Infinity);
    if (this.alarmAt != null && this.alarmAt <= by) return;
    this.alarmAt = by;
    await this.ctx.storage.setAlarm(by);
  }

  private async scheduleAlarm(): Promise<void> {
    const retryAt = this.outbox.length > 0 ? Date.now() + Math.min(60_000, RETRY_BASE_MS * 2 ** this.retries) : null;
    const due = [nextAlarm(this.state), retryAt].filter((t): t is number => t !== null);
    const at = due.length === 0 ? null : Math.min(...due);
    // Each alarm write is a storage write: skip the ones that would change nothing.
    if (at === this.alarmAt) return;
    this.alarmAt = at;
    if (at === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(at);
  }
}
