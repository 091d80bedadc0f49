import { DurableObject } from "cloudflare:workers";
import type { Env } from "../worker/env";
import { log } from "../worker/log";
import type { PhoneToCarrier } from "./phoneProtocol";
import { CARRIER_NAME } from "./SimCarrier";
import { simConfig } from "./config";
import { newSid } from "./sids";
import { parseTwiml, TwimlError, type Verb } from "./twiml";
import { deliver } from "./webhook";

type LegStatus = "ringing" | "in-progress" | "completed" | "busy" | "no-answer" | "canceled" | "failed";

interface Leg {
  sid: string;
  identity: string;
  parameters: Record<string, string>;
  statusCallback: string | null;
  events: string[];
  status: LegStatus;
  sequence: number;
  answeredAt: number | null;
}

interface DialRun {
  verb: Extract<Verb, { verb: "Dial" }>;
  legs: Leg[];
  bridged: string | null;
  /** Real-time deadline: Twilio rings about 5 s longer than the timeout. */
  endsAt: number | null;
}

export interface SimCallEvent {
  at: number;
  what: string;
}

export interface SimCallState {
  callSid: string;
  accountSid: string;
  from: string;
  to: string;
  /** Where Twilio requests the number's voice URL and status callback (PUBLIC_URL or the placing origin). */
  base: string;
  speed: number;
  /** How many seconds the caller speaks into a <Record>; 0 stays silent. */
  messageSeconds: number;
  status: "ringing" | "in-progress" | "completed";
  /** The number's status callback has been sent: nothing more happens on this call. */
  finished: boolean;
  startedAt: number;
  answeredAt: number | null;
  program: Verb[];
  pc: number;
  /** Real-time end of the current Say/Play/Pause/Record, or null. */
  waitUntil: number | null;
  recordStartedAt: number | null;
  dial: DialRun | null;
  hangupAt: number | null;
  errors: { code: number; message: string }[];
  events: SimCallEvent[];
}

export interface PlaceCall {
  callSid: string;
  from: string;
  to: string;
  base: string;
  speed: number;
  messageSeconds: number;
  hangupAfterSeconds: number | null;
}

const MAX_EVENTS = 300;

/**
 * One simulated phone call into the product, driven the way Twilio drives it: it requests the voice
 * webhook, executes the TwiML it gets back verb by verb, rings <Client> legs on simulated phones, and
 * sends every status callback, signed. All changes go through one queue, so phone actions, timers and
 * REST updates are applied one at a time in arrival order.
 */
export class SimCall extends DurableObject<Env> {
  private s: SimCallState | null;
  private queue: Promise<unknown> = Promise.resolve();
  private trackedStatus: string | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.s = ctx.storage.kv.get<SimCallState>("state") ?? null;
  }

  place(p: PlaceCall): Promise<SimCallState> {
    return this.serial(async () => {
      if (this.s) return this.s;
      const now = Date.now();
      this.s = {
        callSid: p.callSid,
        accountSid: simConfig(this.env).accountSid,
        from: p.from,
        to: p.to,
        base: p.base,
        speed: p.speed,
        messageSeconds: p.messageSeconds,
        status: "ringing",
        finished: false,
        startedAt: now,
        answeredAt: null,
        program: [],
        pc: 0,
        waitUntil: null,
        recordStartedAt: null,
        dial: null,
        hangupAt: p.hangupAfterSeconds === null ? null : now + this.ms(p.hangupAfterSeconds, p.speed),
        errors: [],
        events: [],
      };
      this.event(`call from ${p.from} to ${p.to}`);
      await this.fetchProgram(`${p.base}/twilio/voice`, {});
      await this.run();
      return this.s;
    });
  }

  state(): SimCallState | null {
    return this.s;
  }

  /** The state once everything already under way (a phone action, a callback chain) has finished. */
  settled(): Promise<SimCallState | null> {
    return this.serial(async () => this.s);
  }

  /** The caller hangs up. */
  hangup(): Promise<SimCallState | null> {
    return this.serial(async () => {
      if (this.s && this.s.status !== "completed") await this.callerLeaves("caller hung up");
      return this.s;
    });
  }

  /** A simulated phone's action on its leg; returns an error message, or null when applied. */
  phone(identity: string, msg: PhoneToCarrier): Promise<string | null> {
    return this.serial(async () => {
      const dial = this.s?.dial;
      const leg = dial?.legs.find((l) => l.sid === msg.callSid);
      if (!this.s || !dial || !leg) return "no such ringing or connected call";
      if (leg.identity !== identity) return "this leg rings another identity";
      switch (msg.type) {
        case "accept":
          if (leg.status !== "ringing") return `cannot accept: the leg is ${leg.status}`;
          await this.bridge(dial, leg);
          return null;
        case "reject":
          if (leg.status !== "ringing") return `cannot reject: the leg is ${leg.status}`;
          await this.endLeg(leg, "busy");
          this.event(`${identity} rejected`);
          await this.dialSettled(dial);
          return null;
        case "disconnect":
          if (leg.status === "ringing") {
            await this.endLeg(leg, "busy");
            await this.dialSettled(dial);
          } else if (leg.status === "in-progress") {
            this.event(`${identity} hung up`);
            await this.endLeg(leg, "completed");
            await this.endDial(dial, "completed");
          }
          return null;
        case "mute":
          this.event(`${identity} ${msg.muted ? "muted" : "unmuted"}`);
          return null;
      }
    });
  }

  /**
   * Twilio's REST "update a call": new TwiML or URL (the current <Dial> is left: its legs drop and its
   * action is still requested, but what it returns is ignored), or Status=completed|canceled to end it.
   */
  update(u: { twiml?: string; url?: string; status?: "completed" | "canceled" }): Promise<SimCallState | null> {
    return this.serial(async () => {
      const s = this.s;
      if (!s || s.status === "completed") return s;
      if (u.status) {
        await this.callerLeaves(`ended through the REST API (${u.status})`);
        return s;
      }
      if (s.dial) await this.leaveDial(s.dial);
      s.waitUntil = null;
      s.recordStartedAt = null;
      if (u.twiml !== undefined) this.load(u.twiml, "REST update (Twiml)");
      else if (u.url) await this.fetchProgram(u.url, {});
      await this.run();
      return s;
    });
  }

  async alarm(): Promise<void> {
    await this.serial(async () => {
      const s = this.s;
      if (!s || s.status === "completed") return;
      const now = Date.now();
      if (s.hangupAt !== null && now >= s.hangupAt) return this.callerLeaves("caller hung up (timer)");
      if (s.dial?.endsAt && now >= s.dial.endsAt) {
        const dial = s.dial;
        this.event("dial timed out");
        for (const leg of dial.legs.filter((l) => l.status === "ringing")) await this.endLeg(leg, "no-answer");
        return this.endDial(dial, "no-answer");
      }
      if (s.waitUntil !== null && now >= s.waitUntil) {
        s.waitUntil = null;
        const verb = s.program[s.pc];
        if (verb?.verb === "Record") return this.finishRecord(verb, false);
        s.pc++;
        return this.run();
      }
    });
  }

  // ---- execution ----

  private async run(): Promise<void> {
    const s = this.s!;
    while (s.status !== "completed" && s.waitUntil === null && !s.dial) {
      const verb = s.program[s.pc];
      if (!verb) return this.complete("end of TwiML");
      switch (verb.verb) {
        case "Say":
          this.answer();
          this.event(`<Say> "${verb.text.slice(0, 80)}"`);
          s.waitUntil = Date.now() + this.ms(Math.max(1, verb.text.split(/\s+/).length / 2.5) * Math.max(1, verb.loop));
          break;
        case "Play":
          this.answer();
          this.event(`<Play loop=${verb.loop}> ${verb.url}`);
          // loop="0" plays until something else happens (a REST update, a hang-up).
          s.waitUntil = verb.loop === 0 ? Number.MAX_SAFE_INTEGER : Date.now() + this.ms(5 * verb.loop);
          break;
        case "Pause":
          this.answer();
          s.waitUntil = Date.now() + this.ms(verb.length);
          break;
        case "Record":
          this.answer();
          this.event("<Record> beep");
          s.recordStartedAt = Date.now();
          s.waitUntil =
            Date.now() + this.ms(s.messageSeconds > 0 ? Math.min(s.messageSeconds, verb.maxLength) : verb.timeout);
          break;
        case "Redirect":
          this.event(`<Redirect> ${verb.url}`);
          await this.fetchProgram(verb.url, {});
          break;
        case "Hangup":
          return this.complete("<Hangup>");
        case "Dial":
          await this.startDial(verb);
          break;
      }
    }
    this.save();
  }

  private async startDial(verb: Extract<Verb, { verb: "Dial" }>): Promise<void> {
    const s = this.s!;
    if (!verb.answerOnBridge) this.answer();
    const dial: DialRun = {
      verb,
      legs: verb.clients.map((c) => ({
        sid: newSid("CA"),
        identity: c.identity,
        parameters: c.parameters,
        statusCallback: c.statusCallback,
        events: c.statusCallbackEvents,
        status: "ringing",
        sequence: 0,
        answeredAt: null,
      })),
      bridged: null,
      endsAt: Date.now() + this.ms(verb.timeout + 5),
    };
    s.dial = dial;
    this.event(`<Dial> ${dial.legs.map((l) => l.identity).join(", ")} for ${verb.timeout}s`);
    this.save();
    const carrier = this.env.SIM_CARRIER.getByName(CARRIER_NAME);
    await Promise.all(
      dial.legs.map(async (leg) => {
        await this.legCallback(leg, "initiated", "initiated");
        const reached = await carrier.ring(leg.identity, {
          callSid: leg.sid,
          parentCallSid: s.callSid,
          from: s.from,
          to: `client:${leg.identity}`,
          customParameters: leg.parameters,
        });
        if (!reached) this.event(`${leg.identity} has no phone registered: ringing nowhere`);
        await this.legCallback(leg, "ringing", "ringing");
      }),
    );
  }

  private async bridge(dial: DialRun, leg: Leg): Promise<void> {
    dial.bridged = leg.sid;
    dial.endsAt = null;
    leg.status = "in-progress";
    leg.answeredAt = Date.now();
    this.answer();
    this.event(`${leg.identity} answered: bridged`);
    const carrier = this.env.SIM_CARRIER.getByName(CARRIER_NAME);
    await carrier.notify(leg.identity, { type: "accept", callSid: leg.sid });
    await this.legCallback(leg, "answered", "in-progress");
    // The first accept wins the bridge; Twilio cancels every other leg of the <Dial>.
    for (const other of dial.legs.filter((l) => l !== leg && l.status === "ringing")) await this.endLeg(other, "canceled");
    this.save();
  }

  private async endLeg(leg: Leg, status: LegStatus): Promise<void> {
    const wasRinging = leg.status === "ringing";
    leg.status = status;
    const carrier = this.env.SIM_CARRIER.getByName(CARRIER_NAME);
    if (wasRinging && status !== "busy") await carrier.notify(leg.identity, { type: "cancel", callSid: leg.sid });
    if (!wasRinging && status === "completed") await carrier.notify(leg.identity, { type: "disconnect", callSid: leg.sid });
    await this.legCallback(leg, "completed", status);
    this.save();
  }

  /** Ends the dial once no leg rings any more and none was bridged. */
  private async dialSettled(dial: DialRun): Promise<void> {
    if (dial.bridged || dial.legs.some((l) => l.status === "ringing")) return;
    // Which DialCallStatus Twilio gives when every client rejects is unverified (twilio-facts.md):
    // one rejected client gives "busy", so all rejected gives "busy" here too.
    const all = (st: LegStatus) => dial.legs.every((l) => l.status === st);
    await this.endDial(dial, all("busy") ? "busy" : all("failed") ? "failed" : "no-answer");
  }

  private async endDial(dial: DialRun, status: "completed" | "busy" | "no-answer" | "failed" | "canceled", ignoreResult = false): Promise<void> {
    const s = this.s!;
    if (s.dial !== dial) return;
    s.dial = null;
    this.event(`dial ended: ${status}`);
    const bridged = dial.legs.find((l) => l.sid === dial.bridged);
    const params: Record<string, string> = { DialCallStatus: status, DialCallSid: (bridged ?? dial.legs.at(-1))?.sid ?? "" };
    if (bridged?.answeredAt) params.DialCallDuration = String(Math.round(((Date.now() - bridged.answeredAt) * s.speed) / 1000));
    if (!dial.verb.action) {
      s.pc++;
      if (!ignoreResult) await this.run();
      return;
    }
    if (ignoreResult || s.status === "completed") {
      // Twilio still requests the action, but the call has moved on: what it returns is ignored.
      await this.request(dial.verb.action, params);
      return;
    }
    await this.fetchProgram(dial.verb.action, params);
    await this.run();
  }

  /** The call leaves the current <Dial> (REST update): legs drop, the action fires, its TwiML is ignored. */
  private async leaveDial(dial: DialRun): Promise<void> {
    for (const leg of dial.legs) {
      if (leg.status === "ringing") await this.endLeg(leg, "canceled");
      else if (leg.status === "in-progress") await this.endLeg(leg, "completed");
    }
    await this.endDial(dial, dial.bridged ? "completed" : "canceled", true);
  }

  private async finishRecord(verb: Extract<Verb, { verb: "Record" }>, callerGone: boolean): Promise<void> {
    const s = this.s!;
    const started = s.recordStartedAt ?? Date.now();
    s.recordStartedAt = null;
    s.waitUntil = null;
    const seconds = Math.min(verb.maxLength, Math.round(((Date.now() - started) * s.speed) / 1000));
    const spoke = s.messageSeconds > 0 && seconds > 0;
    if (!spoke) {
      this.event("<Record> heard nothing");
      // Twilio skips the action for an empty recording and goes on with the next verb.
      s.pc++;
      if (!callerGone) await this.run();
      return;
    }
    const recordingSid = newSid("RE");
    const recordingUrl = `${s.base}/sim/recordings/${recordingSid}?seconds=${seconds}`;
    this.event(`<Record> ${seconds}s recorded as ${recordingSid}`);
    const common = { RecordingSid: recordingSid, RecordingUrl: recordingUrl, RecordingDuration: String(seconds) };
    if (verb.recordingStatusCallback) {
      await this.request(verb.recordingStatusCallback, { ...common, RecordingStatus: "completed", RecordingChannels: "1", RecordingSource: "RecordVerb" });
    }
    if (verb.transcribe && verb.transcribeCallback) {
      await this.request(verb.transcribeCallback, {
        ...common,
        TranscriptionSid: newSid("TR"),
        TranscriptionStatus: "completed",
        TranscriptionText: `(simulated transcription of a ${seconds} second message from ${s.from})`,
        TranscriptionType: "fast",
      });
    }
    const actionParams = { RecordingUrl: recordingUrl, RecordingDuration: String(seconds), Digits: callerGone ? "hangup" : "" };
    if (!verb.action) {
      s.pc++;
      if (!callerGone) await this.run();
    } else if (callerGone) {
      await this.request(verb.action, actionParams);
    } else {
      await this.fetchProgram(verb.action, actionParams);
      await this.run();
    }
  }

  private async callerLeaves(why: string): Promise<void> {
    const s = this.s!;
    this.event(why);
    s.hangupAt = null;
    if (s.dial) {
      const dial = s.dial;
      for (const leg of dial.legs) {
        if (leg.status === "ringing") await this.endLeg(leg, "canceled");
        else if (leg.status === "in-progress") await this.endLeg(leg, "completed");
      }
      s.status = "completed";
      await this.endDial(dial, dial.bridged ? "completed" : "canceled", true);
    }
    const verb = s.program[s.pc];
    if (verb?.verb === "Record" && s.recordStartedAt !== null) {
      s.status = "completed";
      await this.finishRecord(verb, true);
    }
    await this.complete(why);
  }

  // ---- Twilio's requests ----

  private async fetchProgram(url: string, extra: Record<string, string>): Promise<void> {
    const res = await this.request(url, extra);
    if (!res) return;
    this.load(res, url);
  }

  private load(xml: string, from: string): void {
    const s = this.s!;
    try {
      s.program = parseTwiml(xml);
      s.pc = 0;
    } catch (err) {
      const code = err instanceof TwimlError ? err.code : 12100;
      this.fail(code, `${from}: ${(err as Error).message}`);
    }
  }

  /** Sends one signed webhook; returns the body, or null after recording the failure on the call. */
  private async request(url: string, extra: Record<string, string>): Promise<string | null> {
    const s = this.s!;
    const params = {
      AccountSid: s.accountSid,
      ApiVersion: "2010-04-01",
      CallSid: s.callSid,
      CallStatus: s.status,
      Direction: "inbound",
      From: s.from,
      Caller: s.from,
      To: s.to,
      Called: s.to,
      ...extra,
    };
    const result = await deliver(this.ctx, this.env, url, params);
    if (!result.ok) {
      this.fail(11200, `HTTP retrieval failure: ${url} answered ${result.status}`);
      return null;
    }
    return result.body;
  }

  /** Like Twilio: an application error is logged on the call, the caller hears an error, the call ends. */
  private fail(code: number, message: string): void {
    const s = this.s!;
    s.errors.push({ code, message });
    this.event(`error ${code}: ${message}`);
    log("sim.call_error", { callSid: s.callSid, code, message }, "error");
    s.program = [];
    s.pc = 0;
  }

  private async legCallback(leg: Leg, event: string, status: LegStatus | "initiated"): Promise<void> {
    const s = this.s!;
    if (!leg.statusCallback || !leg.events.includes(event)) return;
    const params: Record<string, string> = {
      AccountSid: s.accountSid,
      ApiVersion: "2010-04-01",
      CallSid: leg.sid,
      ParentCallSid: s.callSid,
      CallStatus: status,
      Direction: "outbound-dial",
      From: s.from,
      To: `client:${leg.identity}`,
      Called: `client:${leg.identity}`,
      SequenceNumber: String(leg.sequence++),
      Timestamp: new Date().toUTCString(),
      CallbackSource: "call-progress-events",
    };
    const result = await deliver(this.ctx, this.env, leg.statusCallback, params);
    if (!result.ok) this.event(`leg callback ${event} for ${leg.identity} answered ${result.status}`);
  }

  private answer(): void {
    const s = this.s!;
    if (s.status === "ringing") {
      s.status = "in-progress";
      s.answeredAt = Date.now();
    }
  }

  private async complete(why: string): Promise<void> {
    const s = this.s!;
    if (s.finished) return;
    s.finished = true;
    s.status = "completed";
    s.waitUntil = null;
    s.dial = null;
    s.hangupAt = null;
    this.event(`completed (${why})`);
    this.save();
    // The number's "call status changes" callback, as configured in the README.
    await deliver(this.ctx, this.env, `${s.base}/twilio/call-status`, {
      AccountSid: s.accountSid,
      ApiVersion: "2010-04-01",
      CallSid: s.callSid,
      CallStatus: "completed",
      CallDuration: String(Math.round(((Date.now() - s.startedAt) * s.speed) / 1000)),
      Direction: "inbound",
      From: s.from,
      To: s.to,
    });
    this.save();
  }

  // ---- plumbing ----

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private ms(simSeconds: number, speed = this.s?.speed ?? 1): number {
    return (simSeconds * 1000) / speed;
  }

  private event(what: string): void {
    const s = this.s!;
    s.events.push({ at: Date.now(), what });
    if (s.events.length > MAX_EVENTS) s.events.splice(0, s.events.length - MAX_EVENTS);
  }

  private save(): void {
    const s = this.s;
    if (!s) return;
    this.ctx.storage.kv.put("state", s);
    const due = [s.waitUntil, s.dial?.endsAt ?? null, s.hangupAt].filter((t): t is number => t !== null && t < Number.MAX_SAFE_INTEGER);
    if (s.status === "completed" || due.length === 0) void this.ctx.storage.deleteAlarm();
    else void this.ctx.storage.setAlarm(Math.min(...due));
    if (this.trackedStatus !== s.status) {
      this.trackedStatus = s.status;
      void this.env.SIM_CARRIER.getByName(CARRIER_NAME).track({ callSid: s.callSid, from: s.from, to: s.to, status: s.status, startedAt: s.startedAt });
    }
  }
}
