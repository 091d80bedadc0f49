import { DurableObject } from "cloudflare:workers";
import { type Config, readConfig } from "../config";
import { callRecorded } from "../db/calls";
import { openDb } from "../db/client";
import { releaseSlot, reserveSlot } from "../db/parking";
import { recordingSetting } from "../db/settings";
import type { Env } from "../env";
import { log } from "../log";
import type { CallView } from "../protocol";
import { switchboard } from "../switchboard/stub";
import { twilioUrls } from "../twilio/paths";
import { carrierRest, classifyRestError, isRecording } from "../twilio/rest";
import { lobbyTwiml, voicemailTwiml } from "../twilio/twiml";
import * as m from "./machine";
import { type CallConfig, type CallState, type Effect, type Reply, type Step, type TwilioOp, type TwilioOutcome } from "./machine";
import { fold, LEGACY_OUTBOX_KEY, OUTBOX_MAX_ENTRIES, OUTBOX_PREFIX, outboxKey, outboxSeq, type Stored } from "./outbox";
import { applyEntries, type OutboxEntry, outboxMessages } from "./record";

const STATE_KEY = "state";
/** One drain publishes and writes at most this many entries at once (one D1 batch); the rest follow. */
const DRAIN_CHUNK = 50;
/** Retry delay when D1 or the switchboard could not be reached; doubles up to a minute. */
const RETRY_BASE_MS = 500;
/** At the latest, the outbox left by a crash in the middle of a drain is applied this long after. */
const OUTBOX_GUARD_MS = 60_000;
/** Slots past PARK_SLOTS a transfer may hold, so that a declined transfer always has a slot to return to. */
const TRANSFER_OVERFLOW_SLOTS = 1000;
/** Back-off before the 2nd, 3rd, 4th attempt of a REST request that may not have been applied. */
const TWILIO_RETRY_MS = [0, 0, 250, 1000, 3000];

type TwilioRequest = Extract<Effect, { type: "twilio" }>;
/** What a claim or retrieve is decided with when the call cannot be taken anyway (never read then). */
const NO_FACTS: m.AgentFacts = { eligible: false, canConnect: false, busyWith: null };

/** At least 128 random bits, URL-safe: the one-time ticket of a won claim. */
function newTicket(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(18));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_");
}

/**
 * One call, named by the caller's CallSid. A thin shell over the pure machine in ./machine.ts: each
 * input is decided and saved, together with its effects (an outbox), in one synchronous block, so
 * concurrent claims are decided strictly one after another and a decision survives eviction. The
 * outbox is then published to the consoles and written to D1 (a projection), retried from the alarm
 * if that fails. Requests to Twilio follow the save, and their outcome is fed back as an input.
 */
export class CallSession extends DurableObject<Env> {
  private state: CallState | null;
  /**
   * Effects decided but not yet on the consoles and in D1, oldest first: a storage key per entry
   * (./outbox.ts), mirrored here, so that storage is only listed when the object starts (listing on
   * every drain was the call session's biggest cost under load, docs/benchmarks.md).
   */
  private outbox: Stored[];
  /** The last outbox key's number. */
  private outboxSeq = 0;
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
    this.outbox = [...ctx.storage.kv.list<OutboxEntry>({ prefix: OUTBOX_PREFIX })].map(([key, entry]) => ({ key, entry }));
    this.outboxSeq = this.outbox.length > 0 ? outboxSeq(this.outbox.at(-1)!.key) : 0;
    // Left by a version that kept the outbox as one array (and so wrote no per-entry keys): moved to keys of their own.
    const legacy = ctx.storage.kv.get<OutboxEntry[]>(LEGACY_OUTBOX_KEY);
    if (legacy) {
      for (const entry of legacy) {
        const key = outboxKey(++this.outboxSeq);
        ctx.storage.kv.put(key, entry);
        this.outbox.push({ key, entry });
      }
      ctx.storage.kv.delete(LEGACY_OUTBOX_KEY);
    }
  }

  async start(callSid: string, from: string, to: string, origin: string): Promise<m.StartReply> {
    if (this.state) return { phase: this.state.phase, gen: this.state.gen, fresh: false };
    // A call whose storage was deleted (CALL_SESSION_RETENTION_DAYS after it ended) has no state, but
    // D1 remembers it: a voice webhook for it now is a captured request replayed, and must not ring
    // anyone. Asked beside the switchboard, so a real new call waits no longer for its ring.
    const replayCheck = callRecorded(openDb(this.env.DB), callSid).catch((error: unknown) => {
      // D1 is a projection: unreachable, it must not keep a real caller from ringing.
      log("call.replay_check_failed", { callSid, error: String(error) }, "warn");
      return false;
    });
    const [{ available, eligible }, replayed, record] = await Promise.all([switchboard(this.env).ringFacts(), replayCheck, this.recordsCalls(callSid)]);
    if (replayed) {
      log("call.replayed_start", { callSid }, "warn");
      return { phase: "ended", gen: 0, fresh: false };
    }
    return this.decide(m.start(this.state, { type: "start", from, to, origin, available, eligible, record, at: Date.now() }, this.config(), callSid));
  }

  /**
   * An agent's outbound call, once Twilio has created it (the CallSid names this object): the agent
   * holds it, with the ticket their phone connects with when the callee answers.
   */
  async dial(callSid: string, agentId: string, from: string, to: string, origin: string): Promise<m.DialReply> {
    if (this.state) return m.dial(this.state, { type: "dial", agentId, agent: NO_FACTS, from, to, origin, ticket: "", record: false, at: Date.now() }, this.config(), callSid).reply;
    const [agent, record] = await Promise.all([switchboard(this.env).agentFacts(agentId), this.recordsCalls(callSid)]);
    return this.decide(m.dial(this.state, { type: "dial", agentId, agent, from, to, origin, ticket: newTicket(), record, at: Date.now() }, this.config(), callSid));
  }

  /** The outbound call's Url: its callee answered. Null: this call is not known (yet). */
  async calleeAnswered(): Promise<m.CallerProgram | null> {
    if (!this.state) return null;
    return this.run((t, c) => m.calleeAnswered(t, { type: "calleeAnswered", at: Date.now() }, c), { run: "hangup" });
  }

  /** The team's recording setting as a call begins; read from D1, and off if D1 cannot say. */
  private recordsCalls(callSid: string): Promise<boolean> {
    return recordingSetting(openDb(this.env.DB))
      .then((r) => r.enabled)
      .catch((error: unknown) => {
        log("call.recording_setting_unread", { callSid, error: String(error) }, "warn");
        return false;
      });
  }

  async claim(agentId: string): Promise<m.ClaimReply> {
    // Under contention most claims find the call taken: those need no word from the switchboard.
    const s = this.state;
    const open = s?.phase === "ringing" || (s?.phase === "claimed" && s.claim !== null && s.claim.expiresAt <= Date.now());
    const agent = open ? await switchboard(this.env).agentFacts(agentId) : NO_FACTS;
    const input = { type: "claim", agentId, agent, ticket: newTicket(), at: Date.now() } as const;
    return this.run((t, c) => m.claim(t, input, c), { status: 404, why: "no such call" });
  }

  async decline(agentId: string): Promise<m.StatusReply> {
    const eligible = await switchboard(this.env).eligibleAgents();
    return this.run((t, c) => m.decline(t, { type: "decline", agentId, eligible, at: Date.now() }, c), { status: 404, why: "no such call" });
  }

  release(agentId: string, reason: string): Promise<m.StatusReply> {
    return this.run((t, c) => m.release(t, { type: "release", agentId, reason, at: Date.now() }, c), { status: 404, why: "no such call" });
  }

  /** The agent was disabled while holding this call (api/agents.ts). */
  async removeAgent(agentId: string): Promise<m.StatusReply> {
    const eligible = await switchboard(this.env).eligibleAgents();
    return this.run((t, c) => m.removeAgent(t, { type: "removeAgent", agentId, eligible, at: Date.now() }, c), { status: 404, why: "no such call" });
  }

  /** The TwiML App's request for an agent's leg (named apart from DurableObject's own connect()). */
  async joinWithTicket(agentId: string, ticket: string, legSid: string): Promise<m.ConnectReply> {
    // An agent disabled or deleted after winning the claim has left the switchboard's team.
    const onTeam = (await switchboard(this.env).agent(agentId)) !== null;
    return this.run((t, c) => m.connect(t, { type: "connect", agentId, ticket, legSid, onTeam, at: Date.now() }, c), { joined: false, why: "no such call" });
  }

  async conference(event: m.ConferenceEvent, label: string, legSid: string, gen: number, reason: string | null): Promise<null> {
    // An agent leaving may leave the caller to everyone again: who that is, is read now.
    const eligible = event === "participant-leave" && label !== "caller" ? await switchboard(this.env).eligibleAgents() : null;
    return this.run((t, c) => m.conference(t, { type: "conference", event, label, legSid, gen, reason, eligible, at: Date.now() }, c), null);
  }

  /** Twilio asks what the caller runs after their lobby ended. */
  lobbyEnded(gen: number, callerGone: boolean): Promise<m.CallerProgram> {
    return this.run((t) => m.lobbyEnded(t, { type: "lobbyEnded", gen, callerGone, at: Date.now() }), { run: "hangup" });
  }

  hangup(agentId: string): Promise<m.StatusReply> {
    return this.run((t) => m.hangup(t, { type: "hangup", agentId, at: Date.now() }), { status: 404, why: "no such call" }, true);
  }

  /** 409 with no lot: every slot is taken, and the call stays with the agent. */
  async park(agentId: string): Promise<m.ParkReply | { status: 502 | 503; why: string }> {
    const reply = await this.withSlot(agentId, readConfig(this.env).parkSlots, (slot) => (t, c) =>
      m.park(t, { type: "park", agentId, slot, at: Date.now() }, c),
    );
    return reply.status === 200 ? this.moved(reply, agentId) : reply;
  }

  async transfer(agentId: string, to: string): Promise<m.StatusReply | { status: 502 | 503; why: string }> {
    const toEligible = (await switchboard(this.env).agentFacts(to)).eligible;
    const upTo = readConfig(this.env).parkSlots + TRANSFER_OVERFLOW_SLOTS;
    const reply = await this.withSlot(agentId, upTo, (slot) => (t, c) => m.transfer(t, { type: "transfer", agentId, to, toEligible, slot, at: Date.now() }, c));
    return reply.status === 200 ? this.moved(reply, agentId) : reply;
  }

  /** Decided at once, in arrival order, like a claim: exactly one retrieve wins. */
  async retrieve(agentId: string): Promise<m.RetrieveReply> {
    const agent = this.state?.phase === "parked" ? await switchboard(this.env).agentFacts(agentId) : NO_FACTS;
    const input = { type: "retrieve", agentId, agent, ticket: newTicket(), at: Date.now() } as const;
    return this.run((t, c) => m.retrieve(t, input, c), { status: 404, why: "no such call" });
  }

  callerGone(source: string, status?: string): Promise<null> {
    return this.run((t) => m.callerGoneInput(t, { type: "callerGone", source, status, at: Date.now() }), null);
  }

  voicemailRecorded(recording: m.Recording): Promise<null> {
    return this.run((t) => m.voicemailRecorded(t, { type: "voicemailRecorded", recording, at: Date.now() }), null);
  }

  /** Agents who became eligible while this call rings everyone (told by the switchboard). */
  rang(agentIds: string[]): Promise<null> {
    return this.run((t) => m.rang(t, { type: "rang", agentIds, at: Date.now() }), null);
  }

  view(): CallView | null {
    return this.state ? m.view(this.state) : null;
  }

  /** What the caller must run now (null: no such call). */
  program(): m.CallerProgram | null {
    return this.state ? m.callerProgram(this.state) : null;
  }

  async alarm(): Promise<void> {
    this.alarmAt = null; // a fired alarm is gone
    const purgeAt = this.purgeAt();
    if (purgeAt !== null && Date.now() >= purgeAt) return this.purge();
    const config = this.config();
    if (m.recallDue(this.state, Date.now())) {
      // Who can take the call back is read now, not when it was parked. A failure here throws, and
      // the runtime retries the alarm.
      const eligible = await switchboard(this.env).eligibleAgents();
      await this.run((t) => m.recall(t, { type: "recall", eligible, at: Date.now() }, config), null);
    }
    if (m.reconcileDue(this.state, Date.now(), config)) await this.reconcile();
    // A recall whose parker let it ring out rings everyone next: who that is, is read now.
    const eligible = m.everyoneRingsNext(this.state, Date.now()) ? await switchboard(this.env).eligibleAgents() : null;
    await this.run((t, c) => m.alarm(t, { type: "alarm", eligible, at: Date.now() }, c), null);
    await this.drain();
    await this.scheduleAlarm();
  }

  private config(): CallConfig {
    const { claimLeaseMs, ringTimeoutSeconds, parkTimeoutMs, reconcileMs } = readConfig(this.env);
    return { leaseMs: claimLeaseMs, waitMs: ringTimeoutSeconds * 1000, parkTimeoutMs, reconcileMs };
  }

  /** A park or transfer Twilio refused outright was undone (502); one that found the caller gone is 410. */
  private moved<R extends { status: number }>(reply: R, agentId: string): R | { status: 410 | 502; why: string } {
    const s = this.state;
    if (!s || s.phase === "ended") return { status: 410, why: "the caller has hung up" };
    if (s.phase === "connected" && s.answeredBy === agentId) {
      return { status: 502, why: "the phone carrier refused to move the call; nothing changed, try again" };
    }
    return reply;
  }

  /**
   * Reserves a parking slot in D1, then decides; gives the slot back if the step was refused.
   * A dry run first (the machine is pure) refuses what it would refuse anyway without touching D1.
   *
   * A release of this call's previous slot still in the outbox would, applied after the new
   * reservation, free it (when the lowest free slot is the same number again): D1 would then give it
   * to another call while this one sits in it. So such a release is applied first (a drain), and the
   * park or transfer is refused with 503 if D1 cannot be reached for it. The drain's deletion of the
   * applied entries is a storage write, and the reservation's D1 request leaves only once that is
   * committed (output gate), so an entry applied once is not applied again after the reservation.
   */
  private withSlot<R extends m.ParkReply | m.StatusReply>(agentId: string, upTo: number, decide: (slot: number) => (t: m.Tx, c: CallConfig) => R): Promise<R | { status: 404 | 409 | 503; why: string }> {
    const run = async (): Promise<R | { status: 404 | 409 | 503; why: string }> => {
      const releasing = () => this.outbox.some((p) => p.entry.effects.some((e) => e.type === "lotReleased"));
      if (releasing()) {
        await this.drain();
        if (releasing()) return { status: 503, why: "this call's last parking slot is not given back yet: try again in a moment" };
      }
      const s = this.state;
      if (!s) return { status: 404, why: "no such call" };
      const dry = m.step(s, this.config(), (t) => decide(0)(t, this.config()), null as never).reply;
      if (dry.status !== 200) return dry;
      const slot = await reserveSlot(this.env.DB, s.callSid, agentId, upTo);
      if (slot === null) return { status: 409, why: `the parking lot is full (${readConfig(this.env).parkSlots} slots): the call stays with you` };
      // The agent's answer waits for Twilio's: a refused move is undone and said (502).
      const reply: R = await this.run(decide(slot), { status: 404, why: "no such call" } as unknown as R, true);
      if (reply.status !== 200) await releaseSlot(openDb(this.env.DB), s.callSid, slot);
      return reply;
    };
    const next = this.commands.then(run, run);
    this.commands = next.catch(() => undefined);
    return next;
  }

  /** `waitForTwilio`: reply only once the step's REST requests (and their retries) are done. */
  private run<R extends Reply>(fn: (t: m.Tx, config: CallConfig) => R, missing: R, waitForTwilio = false): Promise<R> {
    const config = this.config();
    return this.decide(m.step(this.state, config, (t) => fn(t, config), missing), waitForTwilio);
  }

  private async decide<R extends Reply>(step: Step<R>, waitForTwilio = false): Promise<R> {
    const requests = step.effects.filter((e): e is TwilioRequest => e.type === "twilio");
    const effects = step.effects.filter((e) => e.type !== "twilio");
    // Everything from here to the storage writes is synchronous: no other input can interleave,
    // and the writes commit together before any reply leaves the object (output gate).
    if (step.state !== this.state && step.state) {
      this.state = step.state;
      this.ctx.storage.kv.put(STATE_KEY, step.state);
    }
    if (effects.length > 0 && this.state) this.enqueue({ call: m.view(this.state), effects });
    log("call.decision", { callSid: this.state?.callSid ?? null, reply: step.reply, phase: this.state?.phase ?? null });
    if (effects.length > 0) {
      await this.guardOutbox();
      // Answer only once every console knows: the caller of claim() can rely on it.
      await this.drain();
    }
    if (requests.length > 0) {
      const asked = (async () => {
        for (const r of requests) await this.ask(r.request);
      })();
      // A webhook must not wait on Twilio's REST API (Twilio gives a webhook 15 s, then retries it).
      if (waitForTwilio) await asked;
      else this.ctx.waitUntil(asked);
    }
    return step.reply;
  }

  /**
   * Sends one request to Twilio and feeds its outcome back. After a failure that may have been
   * applied, Twilio is asked where the call is before anything is undone.
   */
  private async ask(request: TwilioOp): Promise<void> {
    const s = this.state;
    if (!s) return;
    const config = readConfig(this.env);
    const delay = TWILIO_RETRY_MS[request.attempt] ?? 3000;
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    const rest = carrierRest(this.env, config, this.ctx.exports);
    const sid = request.op === "kick" ? request.legSid : s.callSid;
    let outcome: TwilioOutcome = "ok";
    let error: string | null = null;
    try {
      if (request.op === "record") {
        // A retry follows a failure that may have been applied (a timeout, a 5xx): a second create
        // would make a second recording of the same call, so Twilio is asked first.
        const running = request.attempt > 1 && (await isRecording(rest, sid));
        if (!running) {
          await rest.calls(sid).recordings.create({
            recordingStatusCallback: twilioUrls(s.origin).callRecordingStatus,
            recordingStatusCallbackMethod: "POST",
            recordingStatusCallbackEvent: ["completed"],
            recordingChannels: "dual",
          });
        }
      } else {
        await rest.calls(sid).update(this.updateFor(request, s, config));
      }
      log("call.twilio", { callSid: s.callSid, ...request });
    } catch (err) {
      error = String(err).slice(0, 300);
      outcome = classifyRestError(err);
      if (outcome === "transient") outcome = (await this.twilioStatus(sid)) === "gone" ? "gone" : "transient";
      log("call.twilio_failed", { callSid: s.callSid, ...request, outcome, error }, outcome === "gone" ? "warn" : "error");
    }
    // A retry the result asks for is sent within the same wait.
    await this.run((t, c) => m.twilioResult(t, { type: "twilioResult", request, outcome, error, at: Date.now() }, c), null, true);
  }

  private updateFor(request: Exclude<TwilioOp, { op: "record" }>, s: CallState, config: Config) {
    const urls = twilioUrls(s.origin);
    switch (request.op) {
      case "lobby":
        return { twiml: lobbyTwiml(s.callSid, urls, request.gen) };
      case "voicemail":
        return { twiml: voicemailTwiml(urls, { greeting: config.voicemailGreeting, maxSeconds: config.voicemailMaxSeconds }) };
      case "hangup":
      case "kick":
        return { status: "completed" as const };
    }
  }

  /** Where Twilio says a call is: "gone" (ended or unknown), "live", or null when it could not be asked. */
  private async twilioStatus(sid: string): Promise<"gone" | "live" | null> {
    try {
      const call = await carrierRest(this.env, readConfig(this.env), this.ctx.exports).calls(sid).fetch();
      return m.isFinalStatus(call.status) ? "gone" : "live";
    } catch (err) {
      return classifyRestError(err) === "gone" ? "gone" : null;
    }
  }

  /** Callbacks stopped coming: ask Twilio for the caller's call (and the connected agent's leg). */
  private async reconcile(): Promise<void> {
    const s = this.state;
    if (!s) return;
    const [caller, agentLeg] = await Promise.all([
      this.twilioStatus(s.callSid),
      s.phase === "connected" && s.answeredLeg ? this.twilioStatus(s.answeredLeg) : Promise.resolve(null),
    ]);
    const status = (x: "gone" | "live" | null) => (x === "gone" ? "completed" : x === "live" ? "in-progress" : null);
    log("call.reconcile", { callSid: s.callSid, phase: s.phase, caller, agentLeg });
    await this.run((t, c) => m.reconciled(t, { type: "reconciled", caller: status(caller), agentLeg: status(agentLeg), at: Date.now() }, c), null);
  }

  /** Publishes, then writes D1, pending outbox entries in order; one drain at a time. */
  private drain(): Promise<void> {
    this.draining ??= this.drainLoop().finally(() => {
      this.draining = null;
    });
    return this.draining;
  }

  /** Saves an entry under its own key; past the bound, the oldest entries are folded (./outbox.ts). */
  private enqueue(entry: OutboxEntry): void {
    const stored = { key: outboxKey(++this.outboxSeq), entry };
    this.outbox.push(stored);
    this.ctx.storage.kv.put(stored.key, entry);
    if (this.outbox.length <= OUTBOX_MAX_ENTRIES) return;
    const folded = fold(this.outbox);
    for (const key of folded.deleted) this.ctx.storage.kv.delete(key);
    for (const r of folded.rewritten) this.ctx.storage.kv.put(r.key, r.entry);
    this.outbox = folded.outbox;
    if (folded.droppedRecords > 0) log("call.outbox_overflow", { callSid: entry.call.callSid, dropped: folded.droppedRecords }, "error");
  }

  private async drainLoop(): Promise<void> {
    const db = openDb(this.env.DB);
    while (this.outbox.length > 0) {
      const pending = this.outbox.slice(0, DRAIN_CHUNK);
      const entries = pending.map((p) => p.entry);
      try {
        // The consoles first: D1 is a projection and must not stand between a decision and them.
        const { messages, agents, unanswered } = outboxMessages(entries);
        await switchboard(this.env).publish(messages, agents, unanswered);
        await applyEntries(db, entries);
        // Entries decided (or folded) while these were applied stay, in order, for the next turn.
        const done = new Set(pending.map((p) => p.key));
        for (const key of done) this.ctx.storage.kv.delete(key);
        this.outbox = this.outbox.filter((p) => !done.has(p.key));
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
   * the call's own alarm is already that soon, and nothing is written.
   */
  private async guardOutbox(): Promise<void> {
    const by = Math.min(Date.now() + OUTBOX_GUARD_MS, m.nextAlarm(this.state, this.config()) ?? Infinity);
    if (this.alarmAt != null && this.alarmAt <= by) return;
    this.alarmAt = by;
    await this.ctx.storage.setAlarm(by);
  }

  /**
   * When this call session's storage goes: CALL_SESSION_RETENTION_DAYS after its call ended, once its
   * outbox is in D1 (D1 keeps the call's record). Null while the call is live or the outbox waits.
   */
  private purgeAt(): number | null {
    const s = this.state;
    if (!s || s.phase !== "ended" || this.outbox.length > 0) return null;
    return (s.endedAt ?? s.heardAt) + readConfig(this.env).retention.callSessionMs;
  }

  /**
   * Deletes everything this object stores. A callback that comes later finds no call, as for a CallSid
   * never seen: every input but the voice webhook's start answers "no such call" and saves nothing.
   */
  private async purge(): Promise<void> {
    const callSid = this.state?.callSid ?? null;
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.state = null;
    this.outbox = [];
    this.outboxSeq = 0;
    this.alarmAt = null;
    log("call.storage_deleted", { callSid });
  }

  private async scheduleAlarm(): Promise<void> {
    const retryAt = this.outbox.length > 0 ? Date.now() + Math.min(60_000, RETRY_BASE_MS * 2 ** this.retries) : null;
    const due = [m.nextAlarm(this.state, this.config()), retryAt, this.purgeAt()].filter((t): t is number => t !== null);
    const at = due.length === 0 ? null : Math.min(...due);
    // Each alarm write is a storage write: skip the ones that would change nothing.
    if (at === this.alarmAt) return;
    this.alarmAt = at;
    if (at === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(at);
  }
}
