import { DurableObject } from "cloudflare:workers";
import type { Env } from "../worker/env";
import { log } from "../worker/log";
import type { CarrierToPhone } from "./phoneProtocol";
import { PHONE_ERRORS } from "./phoneProtocol";
import type { ConferenceNotice, JoinResult, LeaveReason } from "./SimConference";
import { CARRIER_NAME, type CalleeRule } from "./SimCarrier";
import { simConfig } from "./config";
import { newSid } from "./sids";
import { type DialVerb, type HttpMethod, parseTwiml, parseWaitTwiml, TwimlError, type Verb } from "./twiml";
import { deliver } from "./webhook";

/** Twilio's call statuses (the Calls resource's `status`). */
export type CallStatus = "queued" | "ringing" | "in-progress" | "completed" | "busy" | "failed" | "no-answer" | "canceled";
const FINAL: readonly CallStatus[] = ["completed", "busy", "failed", "no-answer", "canceled"];

/** What Twilio plays when <Conference> has no waitUrl attribute; the simulator does not fetch it. */
const TWILIO_DEFAULT_WAIT_URL = "https://twimlets.com/holdmusic?Bucket=com.twilio.music.classical";

/** A waitUrl document being played to a participant alone in a conference that has not started. */
export interface WaitRun {
  /** The document's URL (an empty <Redirect> requests it again); null for Twilio's default music. */
  url: string | null;
  method: HttpMethod;
  program: Verb[];
  pc: number;
  /** Real-time end of the current Play/Say/Pause, or null. */
  until: number | null;
  /** The URL being played ("say: …" for a Say), or null in a pause or silence. */
  playing: string | null;
  /** How many times the waitUrl has been requested in this conference. */
  requests: number;
  /** A Play/Say/Pause ran since the last request: a document that only redirects is held 1 s per loop. */
  timed: boolean;
  held: boolean;
}

/** This call's current <Dial><Conference>. */
export interface ConferenceRun {
  dial: DialVerb;
  name: string;
  conferenceSid: string;
  label: string | null;
  joinedAt: number;
  started: boolean;
  /** CallSids in the conference, this call's included (as of the conference's last notice). */
  participants: string[];
  /** The conference started while this call was in it with someone else (the action's DialBridged). */
  bridged: boolean;
  /** The waitUrl playing; null: nothing plays (waitUrl="", the document ran out, the conference started). */
  wait: WaitRun | null;
}

/** What the participant hears; "hold-music" when the playing URL's name says "hold", else "wait-music". */
export type Hearing = "wait-music" | "hold-music" | "announcement" | "silence" | "bridged";

export interface SimCallEvent {
  at: number;
  what: string;
}

export interface SimCallState {
  callSid: string;
  accountSid: string;
  /**
   * "caller": a PSTN call into the number (POST /sim/calls); "agent": a phone's device.connect() leg;
   * "callee": an outbound call the product placed through the REST API (POST …/Calls.json).
   */
  kind: "caller" | "agent" | "callee";
  /** The agent's Client identity (agent legs only). */
  identity: string | null;
  /** The phone's ref for this connect (agent legs only). */
  ref: string | null;
  /** The connect's custom params, each sent as its own field to the TwiML App (agent legs only). */
  customParameters: Record<string, string>;
  from: string;
  to: string;
  direction: "inbound" | "outbound-api";
  /** A callee's call: what the REST create asked for, and how the simulated person answers. */
  outbound?: OutboundRun | null;
  /** Where Twilio requests the number's voice URL and status callback (PUBLIC_URL or the placing origin). */
  base: string;
  speed: number;
  /** How many seconds the caller speaks into a <Record>; 0 stays silent. */
  messageSeconds: number;
  status: CallStatus;
  /** Nothing more happens on this call (final status reached, callbacks sent). */
  finished: boolean;
  startedAt: number;
  answeredAt: number | null;
  endedAt: number | null;
  /** Agent legs: when the TwiML App request goes out (the simulated signalling delay), or null. */
  connectAt: number | null;
  program: Verb[];
  pc: number;
  /** The URL the current program came from (relative URLs resolve against it); null for inline TwiML. */
  docUrl: string | null;
  /** Real-time end of the current Say/Play/Pause/Record, or null. */
  waitUntil: number | null;
  recordStartedAt: number | null;
  conference: ConferenceRun | null;
  /** The friendly name of the last conference joined (settled() waits for its callbacks). */
  lastConference: string | null;
  hears: Hearing | null;
  playing: string | null;
  muted: boolean;
  hangupAt: number | null;
  errors: { code: number; message: string }[];
  events: SimCallEvent[];
  /** Recordings started through the REST API (POST …/Calls/{sid}/Recordings.json); absent: none. */
  recordings?: CallRecordingRun[];
}

/**
 * A recording of this call started through the REST API. It records the call itself, not a
 * conference: it runs across TwiML redirects and REST updates until the call ends (Twilio's
 * Recordings resource, "Create a Recording"), then its status callback says it is completed.
 */
export interface CallRecordingRun {
  recordingSid: string;
  startedAt: number;
  channels: 1 | 2;
  track: "inbound" | "outbound" | "both";
  statusCallback: string | null;
  statusCallbackMethod: HttpMethod;
  /** RecordingStatusCallbackEvent: "in-progress", "completed", "absent" (Twilio's default: completed). */
  statusCallbackEvents: string[];
}

export type StartRecordingResult = { ok: true; recording: CallRecordingRun; state: SimCallState } | { ok: false; why: "unknown" | "not-in-progress" };

export interface OutboundRun {
  url: string;
  method: HttpMethod;
  statusCallback: string | null;
  statusCallbackMethod: HttpMethod;
  /** Twilio's default with a StatusCallback and no events: completed only. */
  statusCallbackEvents: string[];
  rule: CalleeRule;
  /** While it rings: when the callee answers, declines, or the call's Timeout ends it (no-answer). */
  ringUntil: number | null;
  /** The answer at ringUntil: the callee's own, or no-answer when the Timeout comes first. */
  outcome: CalleeRule["answer"];
}

export interface PlaceOutbound {
  callSid: string;
  from: string;
  to: string;
  base: string;
  url: string;
  method: HttpMethod;
  statusCallback: string | null;
  statusCallbackMethod: HttpMethod;
  statusCallbackEvents: string[];
  timeoutSeconds: number;
  rule: CalleeRule;
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

export interface ConnectLeg {
  callSid: string;
  identity: string;
  ref: string;
  params: Record<string, string>;
  base: string;
}

export type UpdateResult = { applied: true; state: SimCallState } | { applied: false; why: "unknown" | "not-in-progress"; state: SimCallState | null };

const MAX_EVENTS = 300;

/**
 * One simulated call, driven the way Twilio drives it: a caller's PSTN call into the number, or an
 * agent's leg from a phone's device.connect(). It requests the webhook, executes the TwiML it gets back
 * verb by verb, joins conferences (SimConference) and plays their waitUrl, tells the phone about its
 * leg, and sends every callback, signed. All changes go through one queue, so phone actions, timers,
 * conference notices and REST updates are applied one at a time in arrival order.
 */
export class SimCall extends DurableObject<Env> {
  private s: SimCallState | null;
  private queue: Promise<unknown> = Promise.resolve();
  private phoneChain: Promise<void> = Promise.resolve();
  private trackedStatus: string | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.s = ctx.storage.kv.get<SimCallState>("state") ?? null;
  }

  /** A caller dials the number: Twilio requests its voice URL and runs the answer. */
  place(p: PlaceCall): Promise<SimCallState> {
    return this.serial(async () => {
      if (this.s) return this.s;
      const now = Date.now();
      this.s = this.fresh({
        callSid: p.callSid,
        kind: "caller",
        from: p.from,
        to: p.to,
        base: p.base,
        speed: p.speed,
        messageSeconds: p.messageSeconds,
        status: "ringing",
        hangupAt: p.hangupAfterSeconds === null ? null : now + this.ms(p.hangupAfterSeconds, p.speed),
      });
      this.event(`call from ${p.from} to ${p.to}`);
      await this.fetchProgram(`${p.base}/twilio/voice`, {}, "POST");
      await this.run();
      return this.s;
    });
  }

  /**
   * The product's REST create (POST …/Calls.json): the call is queued, then rings the simulated callee,
   * who answers, declines or lets it ring out as their rule says (POST /sim/callees). Once answered,
   * Twilio requests the call's Url and runs the answer, as for a caller.
   */
  placeOutbound(p: PlaceOutbound): Promise<SimCallState> {
    return this.serial(async () => {
      if (this.s) return this.s;
      const cfg = simConfig(this.env);
      const timeout = p.timeoutSeconds;
      const outcome = p.rule.answer === "no-answer" || p.rule.afterSeconds >= timeout ? "no-answer" : p.rule.answer;
      const ringFor = outcome === "no-answer" ? timeout : p.rule.afterSeconds;
      this.s = this.fresh({
        callSid: p.callSid,
        kind: "callee",
        direction: "outbound-api",
        from: p.from,
        to: p.to,
        base: p.base,
        speed: cfg.speed,
        messageSeconds: 0,
        status: "ringing",
        outbound: {
          url: p.url,
          method: p.method,
          statusCallback: p.statusCallback,
          statusCallbackMethod: p.statusCallbackMethod,
          statusCallbackEvents: p.statusCallbackEvents,
          rule: p.rule,
          ringUntil: Date.now() + this.ms(ringFor, cfg.speed),
          outcome,
        },
      });
      this.event(`REST: outbound call from ${p.from} to ${p.to}; the callee will ${outcome === "no-answer" ? `not answer (Timeout ${timeout}s)` : `${outcome} after ${ringFor}s`}`);
      this.save();
      return this.s;
    });
  }

  /** The simulated callee's ring is over: they answer (Twilio requests the Url), decline (busy), or it rang out. */
  private async ringOver(o: OutboundRun): Promise<void> {
    const s = this.s!;
    o.ringUntil = null;
    if (o.outcome === "decline") return this.complete("the callee declined", "busy");
    if (o.outcome === "no-answer") return this.complete("the callee did not answer", "no-answer");
    this.answer();
    this.event(`the callee answered: Twilio requests ${o.url}`);
    if (o.rule.hangupAfter !== null) s.hangupAt = Date.now() + this.ms(o.rule.hangupAfter);
    await this.fetchProgram(o.url, {}, o.method);
    return this.run();
  }

  /**
   * A phone's device.connect(): the leg exists at once (ringing); after the signalling delay the TwiML
   * App's Voice URL is requested (alarm) and its answer runs.
   */
  connectLeg(p: ConnectLeg): Promise<SimCallState> {
    return this.serial(async () => {
      if (this.s) return this.s;
      const cfg = simConfig(this.env);
      this.s = this.fresh({
        callSid: p.callSid,
        kind: "agent",
        identity: p.identity,
        ref: p.ref,
        customParameters: p.params,
        from: `client:${p.identity}`,
        to: "",
        base: p.base,
        speed: cfg.speed,
        messageSeconds: 0,
        status: "ringing",
        connectAt: Date.now() + cfg.connectDelayMs,
      });
      this.event(`device.connect() by ${p.identity} (ref ${p.ref}) with ${JSON.stringify(p.params)}`);
      this.save();
      return this.s;
    });
  }

  state(): SimCallState | null {
    return this.s;
  }

  /**
   * The state once everything already under way has finished: this call's queue, the callbacks and
   * notices of its conference, and its messages to the phone. The conference is awaited outside the
   * queue (its callbacks may lead the product to update this very call).
   */
  async settled(): Promise<SimCallState | null> {
    await this.serial(async () => undefined);
    const name = this.s?.lastConference;
    if (name) await this.env.SIM_CONFERENCES.getByName(name).idle();
    await this.phoneChain;
    return this.serial(async () => this.s);
  }

  /** The caller (or the agent's phone, see phoneDisconnect) hangs up. */
  hangup(): Promise<SimCallState | null> {
    return this.serial(async () => {
      const s = this.s;
      if (s && !this.ended()) await this.endCall("hung up", "participant_hung_up", s.answeredAt ? "completed" : "canceled");
      return s;
    });
  }

  /** call.disconnect() from the phone; returns an error message, or null when applied. */
  phoneDisconnect(identity: string): Promise<string | null> {
    return this.serial(async () => {
      const s = this.s;
      if (!s || s.kind !== "agent") return "no such call";
      if (s.identity !== identity) return "this call belongs to another identity";
      if (this.ended()) return null;
      await this.endCall(`${identity} hung up (phone)`, "participant_hung_up", s.answeredAt ? "completed" : "canceled");
      return null;
    });
  }

  /** call.mute() from the phone: recorded, and reported to the conference (participant-mute if subscribed). */
  mute(identity: string, muted: boolean): Promise<string | null> {
    return this.serial(async () => {
      const s = this.s;
      if (!s || s.kind !== "agent") return "no such call";
      if (s.identity !== identity) return "this call belongs to another identity";
      if (this.ended()) return "the call has ended";
      s.muted = muted;
      this.event(`${identity} ${muted ? "muted" : "unmuted"}`);
      const c = s.conference;
      if (c) await this.env.SIM_CONFERENCES.getByName(c.name).mute(c.conferenceSid, s.callSid, muted);
      this.save();
      return null;
    });
  }

  /**
   * Twilio's REST "update a call": new TwiML or URL (the call leaves its conference: participant-leave
   * with participant_updated_via_api; its <Dial action> is still requested but what it returns is
   * ignored), or Status=completed|canceled to end it. Status=canceled only ends a call that is not yet
   * in progress; on an in-progress call Twilio leaves it alone.
   */
  update(u: { twiml?: string; url?: string; method?: HttpMethod; status?: "completed" | "canceled" }): Promise<UpdateResult> {
    return this.serial(async (): Promise<UpdateResult> => {
      const s = this.s;
      if (!s) return { applied: false, why: "unknown", state: null };
      if (this.ended()) return { applied: false, why: "not-in-progress", state: s };
      if (u.status === "canceled" && s.status === "in-progress") {
        this.event("REST Status=canceled ignored: the call is in progress");
        return { applied: true, state: s };
      }
      if (u.status) {
        const final: CallStatus = s.answeredAt ? "completed" : u.status;
        await this.endCall(`ended through the REST API (Status=${u.status})`, "participant_updated_via_api", final);
        return { applied: true, state: s };
      }
      this.event(u.twiml !== undefined ? "REST update: new Twiml" : `REST update: Url ${u.url}`);
      if (s.conference) {
        await this.leaveConference("participant_updated_via_api", "in-progress");
        await this.dialEnded("answered", "ignore");
      }
      s.waitUntil = null;
      s.recordStartedAt = null;
      s.connectAt = null;
      if (u.twiml !== undefined) this.load(u.twiml, null, "REST update (Twiml)");
      else if (u.url) await this.fetchProgram(u.url, {}, u.method ?? "POST");
      await this.run();
      return { applied: true, state: s };
    });
  }

  /** The conference changed under this participant (see SimConference: sent in the background). */
  conferenceNotice(n: ConferenceNotice): Promise<void> {
    return this.serial(async () => {
      const s = this.s;
      const c = s?.conference;
      if (!s || !c || c.conferenceSid !== n.conferenceSid || this.ended()) return;
      if (n.kind === "ended") {
        this.event(`conference ${c.conferenceSid} ended (${n.reason ?? "?"})`);
        await this.dialEnded("answered", "continue");
        await this.run();
        return;
      }
      c.participants = n.participants;
      if (n.started && !c.started) {
        c.started = true;
        c.wait = null;
        this.event(`conference ${c.conferenceSid} started: the waitUrl stops`);
      }
      if (c.started && c.participants.length >= 2) c.bridged = true;
      this.save();
    });
  }

  /**
   * Twilio's REST "create a recording" on this call: only an answered call that has not ended may be
   * recorded (21220 otherwise). Several may run at once, as on Twilio; each ends with the call.
   */
  startRecording(r: Omit<CallRecordingRun, "recordingSid" | "startedAt">): Promise<StartRecordingResult> {
    return this.serial(async (): Promise<StartRecordingResult> => {
      const s = this.s;
      if (!s) return { ok: false, why: "unknown" };
      if (this.ended() || s.status !== "in-progress") return { ok: false, why: "not-in-progress" };
      const run: CallRecordingRun = { recordingSid: newSid("RE"), startedAt: Date.now(), ...r };
      (s.recordings ??= []).push(run);
      this.event(`REST: recording ${run.recordingSid} started (${run.channels} channel${run.channels === 2 ? "s" : ""}, track ${run.track})`);
      this.save();
      if (run.statusCallbackEvents.includes("in-progress")) await this.recordingCallback(run, "in-progress");
      return { ok: true, recording: run, state: s };
    });
  }

  /** A line in the call's event log from outside (the REST route's fault injection). */
  note(what: string): void {
    if (!this.s) return;
    this.event(what);
    this.save();
  }

  async alarm(): Promise<void> {
    await this.serial(async () => {
      const s = this.s;
      if (!s || this.ended()) return;
      const now = Date.now();
      if (s.hangupAt !== null && now >= s.hangupAt) {
        return this.endCall("caller hung up (timer)", "participant_hung_up", s.answeredAt ? "completed" : "canceled");
      }
      if (s.outbound?.ringUntil != null && now >= s.outbound.ringUntil) return this.ringOver(s.outbound);
      if (s.connectAt !== null && now >= s.connectAt) {
        s.connectAt = null;
        this.event("TwiML App request (after the connect delay)");
        await this.fetchProgram(`${s.base}/twilio/connect`, { ApplicationSid: simConfig(this.env).applicationSid, ...s.customParameters }, "POST");
        return this.run();
      }
      const w = s.conference?.wait;
      if (w?.until != null && now >= w.until) {
        w.until = null;
        // A held <Redirect> runs now; any other verb is over.
        if (w.program[w.pc]?.verb !== "Redirect") w.pc++;
        return this.runWait();
      }
      if (s.waitUntil !== null && now >= s.waitUntil) {
        s.waitUntil = null;
        const verb = s.program[s.pc];
        if (verb?.verb === "Record") return this.finishRecord(verb, false);
        s.pc++;
        return this.run();
      }
      this.save();
    });
  }

  // ---- execution ----

  private async run(): Promise<void> {
    const s = this.s!;
    while (!this.ended() && s.waitUntil === null && !s.conference && s.connectAt === null) {
      const verb = s.program[s.pc];
      if (!verb) {
        await this.complete("end of TwiML");
        return;
      }
      switch (verb.verb) {
        case "Say":
          this.answer();
          this.event(`<Say> "${verb.text.slice(0, 80)}"`);
          s.waitUntil = Date.now() + this.ms(sayDuration(verb.text, verb.loop));
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
          s.waitUntil = Date.now() + this.ms(s.messageSeconds > 0 ? Math.min(s.messageSeconds, verb.maxLength) : verb.timeout);
          break;
        case "Redirect": {
          const url = verb.url || s.docUrl;
          this.event(`<Redirect> ${url ?? "(empty, no document)"}`);
          if (!url) {
            this.fail(11100, "Invalid URL: an empty <Redirect> in inline TwiML has no document to request");
            break;
          }
          await this.fetchProgram(url, {}, verb.method);
          break;
        }
        case "Hangup":
          await this.complete("<Hangup>");
          return;
        case "Dial":
          await this.joinConference(verb);
          break;
      }
    }
    this.save();
  }

  /**
   * <Dial><Conference>: join (the conference answers at once and never waits on this call), then,
   * alone in a conference that has not started, play the waitUrl. A duplicate participantLabel is
   * 16025: not added, on with the next verb. A failed first waitUrl request leaves the conference
   * unestablished: the <Dial> ends with DialCallStatus=failed and the call goes on (action or next verb).
   */
  private async joinConference(verb: DialVerb): Promise<void> {
    const s = this.s!;
    const noun = verb.conference;
    this.answer();
    let r: JoinResult;
    try {
      r = await this.env.SIM_CONFERENCES.getByName(noun.name).join(noun.name, {
        callSid: s.callSid,
        accountSid: s.accountSid,
        label: noun.participantLabel,
        muted: noun.muted,
        startConferenceOnEnter: noun.startConferenceOnEnter,
        endConferenceOnExit: noun.endConferenceOnExit,
        statusCallback: noun.statusCallback ? this.resolve(noun.statusCallback) : null,
        statusCallbackMethod: noun.statusCallbackMethod,
        statusCallbackEvents: noun.statusCallbackEvents,
      });
    } catch (err) {
      // Twilio's 16030 "failed to add a participant", try again later.
      r = { ok: false, code: 16030, message: `could not join conference ${noun.name}: ${String(err)}` };
    }
    s.lastConference = noun.name;
    if (!r.ok) {
      this.error(r.code, r.message);
      s.pc++;
      return;
    }
    const c: ConferenceRun = {
      dial: verb,
      name: noun.name,
      conferenceSid: r.conferenceSid,
      label: noun.participantLabel,
      joinedAt: Date.now(),
      started: r.started,
      participants: r.participants,
      bridged: r.started && r.participants.length >= 2,
      wait: null,
    };
    s.conference = c;
    this.event(
      `<Dial><Conference> ${noun.name}: joined ${r.conferenceSid}${r.created ? " (new)" : ""} as ${noun.participantLabel ?? "(no label)"}; ` +
        (r.started ? "started" : `waiting, ${r.participants.length} in`),
    );
    if (r.started) return;
    if (noun.waitUrl === "") {
      this.event('waitUrl="": silence');
      return;
    }
    if (noun.waitUrl === null) {
      c.wait = this.newWait(null, "POST", [{ verb: "Play", url: TWILIO_DEFAULT_WAIT_URL, loop: 0 }]);
      return this.runWait();
    }
    const url = this.resolve(noun.waitUrl);
    if (url && (await this.fetchWait(c, url, noun.waitMethod))) return this.runWait();
    if (s.conference !== c) return;
    this.event("the waitUrl request failed: the conference is not established");
    await this.leaveConference("participant_add_failed", "in-progress");
    // Inside run(): set up the action's (or the next verb's) program; run()'s loop goes on with it.
    await this.dialEnded("failed", "continue");
  }

  private newWait(url: string | null, method: HttpMethod, program: Verb[]): WaitRun {
    return { url, method, program, pc: 0, until: null, playing: null, requests: 0, timed: false, held: false };
  }

  /** Requests the waitUrl (or a <Redirect> of it) and loads the answer; false when the request failed. */
  private async fetchWait(c: ConferenceRun, url: string, method: HttpMethod): Promise<boolean> {
    const s = this.s!;
    const requests = (c.wait?.requests ?? 0) + 1;
    const res = await this.request(url, { ConferenceSid: c.conferenceSid, FriendlyName: c.name }, method);
    if (s.conference !== c || c.started) return true;
    if (res === null) return false;
    let program: Verb[] = [];
    if (/^audio\//i.test(res.contentType)) {
      // An audio file plays once and does not loop (Twilio's <Conference> docs, waitUrl).
      program = [{ verb: "Play", url, loop: 1 }];
    } else {
      try {
        program = parseWaitTwiml(res.body);
      } catch (err) {
        this.error(err instanceof TwimlError ? err.code : 12100, `waitUrl ${url}: ${(err as Error).message}`);
      }
    }
    c.wait = { ...this.newWait(url, method, program), requests };
    return true;
  }

  /** Plays the waitUrl document: Play/Say/Pause are timed (alarm), <Redirect> requests it again. */
  private async runWait(): Promise<void> {
    const s = this.s!;
    const c = s.conference;
    while (c && s.conference === c && !c.started && c.wait && c.wait.until === null) {
      const w = c.wait;
      const verb = w.program[w.pc];
      if (!verb) {
        // Out of verbs: the participant hears silence until something happens (Twilio's <Conference> docs, waitUrl).
        this.event("the waitUrl document ran out: silence");
        c.wait = null;
        break;
      }
      switch (verb.verb) {
        case "Say":
          w.playing = `say: ${verb.text.slice(0, 80)}`;
          w.timed = true;
          w.until = Date.now() + this.ms(sayDuration(verb.text, verb.loop));
          break;
        case "Play":
          w.playing = verb.url;
          w.timed = true;
          w.until = verb.loop === 0 ? Number.MAX_SAFE_INTEGER : Date.now() + this.ms(5 * verb.loop);
          break;
        case "Pause":
          w.playing = null;
          w.timed = true;
          w.until = Date.now() + this.ms(verb.length);
          break;
        case "Redirect": {
          // Each loop is a new request; a document made only of <Redirect> would spin, so it waits 1 s.
          if (!w.timed && !w.held) {
            w.held = true;
            w.until = Date.now() + this.ms(1);
            break;
          }
          const url = verb.url ? this.resolve(verb.url, w.url) : w.url;
          if (!url) {
            this.error(11100, "Invalid URL in the waitUrl's <Redirect>");
            c.wait = null;
            break;
          }
          if (!(await this.fetchWait(c, url, verb.method))) {
            // A later waitUrl request failing: the conference is established, the participant hears silence.
            this.event("a waitUrl <Redirect> request failed: silence");
            if (s.conference === c) c.wait = null;
          }
          break;
        }
        default:
          // parseWaitTwiml lets nothing else through.
          c.wait = null;
      }
    }
    this.save();
  }

  /** Tells the conference this call leaves it (the conference never waits on this call). */
  private async leaveConference(reason: LeaveReason, callStatus: string): Promise<void> {
    const s = this.s!;
    const c = s.conference;
    if (!c) return;
    try {
      await this.env.SIM_CONFERENCES.getByName(c.name).leave({ conferenceSid: c.conferenceSid, callSid: s.callSid, reason, callStatus });
    } catch (err) {
      log("sim.conference_leave_failed", { callSid: s.callSid, conferenceSid: c.conferenceSid, error: String(err) }, "error");
    }
    this.event(`left conference ${c.conferenceSid} (${reason})`);
  }

  /**
   * The <Dial><Conference> is over: the action URL is requested (DialCallStatus answered|failed, no
   * DialCallSid). "continue": its answer (or, without an action, the next verb) becomes the program;
   * the caller of this method runs it. "ignore": the call has moved on (REST update, hang-up), Twilio
   * still requests the action but ignores what it returns.
   */
  private async dialEnded(status: "answered" | "failed", how: "continue" | "ignore"): Promise<void> {
    const s = this.s!;
    const c = s.conference;
    if (!c) return;
    s.conference = null;
    this.event(`<Dial> ended: ${status}`);
    const params = { DialCallStatus: status, DialBridged: String(c.bridged) };
    const action = c.dial.action;
    if (!action) {
      if (how === "continue") s.pc++;
      return;
    }
    if (how === "ignore" || this.ended()) {
      const url = this.resolve(action);
      if (url) await this.request(url, params, c.dial.method);
      return;
    }
    await this.fetchProgram(action, params, c.dial.method);
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
    // Twilio's RecordingUrl is the Recording resource under its REST API (no extension: WAV); the
    // simulator's REST API is /sim/api. The media is kept by the carrier until deleted.
    const recordingUrl = `${s.base}/sim/api/2010-04-01/Accounts/${s.accountSid}/Recordings/${recordingSid}`;
    await this.env.SIM_CARRIER.getByName(CARRIER_NAME).addRecording({ recordingSid, callSid: s.callSid, accountSid: s.accountSid, seconds, createdAt: Date.now() });
    this.event(`<Record> ${seconds}s recorded as ${recordingSid}`);
    const common = { RecordingSid: recordingSid, RecordingUrl: recordingUrl, RecordingDuration: String(seconds) };
    const statusCb = verb.recordingStatusCallback && this.resolve(verb.recordingStatusCallback);
    if (statusCb) {
      await this.request(statusCb, { ...common, RecordingStatus: "completed", RecordingChannels: "1", RecordingSource: "RecordVerb" }, "POST");
    }
    const transcribeCb = verb.transcribe && verb.transcribeCallback && this.resolve(verb.transcribeCallback);
    if (transcribeCb) {
      await this.request(
        transcribeCb,
        {
          ...common,
          TranscriptionSid: newSid("TR"),
          TranscriptionStatus: "completed",
          TranscriptionText: `(simulated transcription of a ${seconds} second message from ${s.from})`,
          TranscriptionType: "fast",
        },
        "POST",
      );
    }
    const actionParams = { RecordingUrl: recordingUrl, RecordingDuration: String(seconds), Digits: callerGone ? "hangup" : "" };
    if (!verb.action) {
      s.pc++;
      if (!callerGone) await this.run();
    } else if (callerGone) {
      const url = this.resolve(verb.action);
      if (url) await this.request(url, actionParams, "POST");
    } else {
      await this.fetchProgram(verb.action, actionParams, "POST");
      await this.run();
    }
  }

  /** The call ends from outside its TwiML: hang-up, phone disconnect, REST Status, the hang-up timer. */
  private async endCall(why: string, reason: LeaveReason, final: CallStatus): Promise<void> {
    const s = this.s!;
    this.event(why);
    s.hangupAt = null;
    s.connectAt = null;
    if (s.conference) {
      await this.leaveConference(reason, "completed");
      s.status = final;
      await this.dialEnded("answered", "ignore");
    }
    const verb = s.program[s.pc];
    if (verb?.verb === "Record" && s.recordStartedAt !== null) {
      s.status = final;
      await this.finishRecord(verb, true);
    }
    await this.complete(why, final);
  }

  // ---- Twilio's requests ----

  /** Requests a TwiML document and makes it the program; a failed request ends the call (11200). */
  private async fetchProgram(rawUrl: string, extra: Record<string, string>, method: HttpMethod): Promise<void> {
    const url = this.resolve(rawUrl);
    if (!url) return this.fail(11100, `Invalid URL "${rawUrl}"`);
    const res = await this.request(url, extra, method);
    if (!res) {
      // Twilio says "an application error has occurred" and hangs up; the simulator just ends the call.
      this.s!.program = [];
      this.s!.pc = 0;
      return;
    }
    this.load(res.body, url, url);
  }

  private load(xml: string, docUrl: string | null, from: string): void {
    const s = this.s!;
    try {
      s.program = parseTwiml(xml);
      s.pc = 0;
      s.docUrl = docUrl;
    } catch (err) {
      const code = err instanceof TwimlError ? err.code : 12100;
      this.fail(code, `${from}: ${(err as Error).message}`);
    }
  }

  /** Sends one signed webhook; returns the answer, or null after recording error 11200 on the call. */
  private async request(url: string, extra: Record<string, string>, method: HttpMethod): Promise<{ body: string; contentType: string } | null> {
    const s = this.s!;
    const params: Record<string, string> = {
      AccountSid: s.accountSid,
      ApiVersion: "2010-04-01",
      CallSid: s.callSid,
      CallStatus: s.status,
      Direction: s.direction,
      From: s.from,
      Caller: s.from,
      To: s.to,
      Called: s.to,
      ...(s.kind === "agent" ? { ApplicationSid: simConfig(this.env).applicationSid } : {}),
      ...extra,
    };
    const result = await deliver(this.ctx, this.env, url, params, method);
    if (!result.ok) {
      this.error(11200, `HTTP retrieval failure: ${method} ${url} answered ${result.status}`);
      return null;
    }
    return { body: result.body, contentType: result.contentType };
  }

  /** Absolute URLs as they are; relative ones against the current document (none for inline TwiML). */
  private resolve(url: string, against: string | null = this.s?.docUrl ?? null): string | null {
    try {
      const u = against ? new URL(url, against) : new URL(url);
      return /^https?:$/.test(u.protocol) ? u.toString() : null;
    } catch {
      return null;
    }
  }

  /** An error in Twilio's debugger, logged on the call; the call goes on. */
  private error(code: number, message: string): void {
    const s = this.s!;
    s.errors.push({ code, message });
    this.event(`error ${code}: ${message}`);
    log("sim.call_error", { callSid: s.callSid, code, message }, "error");
  }

  /** Like Twilio: an application error is logged on the call, the caller hears an error, the call ends. */
  private fail(code: number, message: string): void {
    this.error(code, message);
    this.s!.program = [];
    this.s!.pc = 0;
  }

  /** Twilio answers on the first verb that needs media; an agent's phone then gets "accept". */
  private answer(): void {
    const s = this.s!;
    if (s.answeredAt !== null || this.ended()) return;
    s.status = "in-progress";
    s.answeredAt = Date.now();
    if (s.kind === "agent") this.toPhone({ type: "accept", ref: s.ref!, callSid: s.callSid });
  }

  private async complete(why: string, final: CallStatus = "completed"): Promise<void> {
    const s = this.s!;
    if (s.finished) return;
    s.finished = true;
    s.status = final;
    s.endedAt = Date.now();
    s.waitUntil = null;
    s.conference = null;
    s.hangupAt = null;
    s.connectAt = null;
    this.event(`${final} (${why})`);
    this.save();
    if (s.kind === "agent") {
      // A leg that ends before it was answered: the SDK reports 31005, "Error sent from gateway in HANGUP" (twilio-voice.js#140), then disconnect.
      if (s.answeredAt === null) {
        this.toPhone({
          type: "error",
          ref: s.ref,
          callSid: s.callSid,
          code: PHONE_ERRORS.hangupBeforeAnswer,
          message: "ConnectionError (31005): Error sent from gateway in HANGUP",
        });
      }
      this.toPhone({ type: "disconnect", ref: s.ref!, callSid: s.callSid });
      // No status callback: the TwiML App has none configured (README).
      await this.finishRecordings();
      return;
    }
    const o = s.outbound;
    if (s.kind === "callee") {
      // The REST create's StatusCallback, if it asked for one (and for the completed event).
      if (o) o.ringUntil = null;
      if (o?.statusCallback && o.statusCallbackEvents.includes("completed")) {
        await deliver(
          this.ctx,
          this.env,
          o.statusCallback,
          {
            AccountSid: s.accountSid,
            ApiVersion: "2010-04-01",
            CallSid: s.callSid,
            CallStatus: final,
            CallDuration: String(s.answeredAt === null ? 0 : Math.round(((Date.now() - s.answeredAt) * s.speed) / 1000)),
            Direction: "outbound-api",
            From: s.from,
            To: s.to,
          },
          o.statusCallbackMethod,
        );
      }
      this.save();
      await this.finishRecordings();
      return;
    }
    // The number's "call status changes" callback, as configured in the README.
    await deliver(this.ctx, this.env, `${s.base}/twilio/call-status`, {
      AccountSid: s.accountSid,
      ApiVersion: "2010-04-01",
      CallSid: s.callSid,
      CallStatus: final,
      CallDuration: String(Math.round(((Date.now() - s.startedAt) * s.speed) / 1000)),
      Direction: "inbound",
      From: s.from,
      To: s.to,
    });
    this.save();
    await this.finishRecordings();
  }

  /**
   * The call ended: each of its REST recordings stops, its media is kept by the carrier, and its
   * status callback follows the call's own (Twilio processes a recording after the call completes).
   */
  private async finishRecordings(): Promise<void> {
    const s = this.s!;
    const runs = s.recordings ?? [];
    if (runs.length === 0) return;
    s.recordings = [];
    this.save();
    const endedAt = s.endedAt ?? Date.now();
    for (const run of runs) {
      const seconds = Math.max(0, Math.round(((endedAt - run.startedAt) * s.speed) / 1000));
      if (seconds > 0) {
        await this.env.SIM_CARRIER.getByName(CARRIER_NAME).addRecording({
          recordingSid: run.recordingSid,
          callSid: s.callSid,
          accountSid: s.accountSid,
          seconds,
          createdAt: run.startedAt,
          channels: run.channels,
          source: "StartCallRecordingAPI",
        });
      }
      this.event(seconds > 0 ? `recording ${run.recordingSid}: ${seconds}s` : `recording ${run.recordingSid}: no audio (absent)`);
      this.save();
      if (seconds > 0 && run.statusCallbackEvents.includes("completed")) await this.recordingCallback(run, "completed", seconds);
      if (seconds === 0 && run.statusCallbackEvents.includes("absent")) await this.recordingCallback(run, "absent", 0);
    }
  }

  /** A REST recording's status callback (Twilio's RecordingStatusCallback parameters), signed like every webhook. */
  private async recordingCallback(run: CallRecordingRun, status: "in-progress" | "completed" | "absent", seconds?: number): Promise<void> {
    const s = this.s!;
    const url = run.statusCallback && this.resolve(run.statusCallback, null);
    if (!url) return;
    const params: Record<string, string> = {
      AccountSid: s.accountSid,
      CallSid: s.callSid,
      RecordingSid: run.recordingSid,
      // Twilio's RecordingUrl is the Recording resource (no extension: WAV); the product fetches media
      // by RecordingSid from its own API base, never from this URL.
      RecordingUrl: `https://api.twilio.com/2010-04-01/Accounts/${s.accountSid}/Recordings/${run.recordingSid}`,
      RecordingStatus: status,
      RecordingChannels: String(run.channels),
      RecordingSource: "StartCallRecordingAPI",
      RecordingTrack: run.track,
      RecordingStartTime: new Date(run.startedAt).toUTCString().replace("GMT", "+0000"),
      ...(seconds === undefined ? {} : { RecordingDuration: String(seconds) }),
    };
    await deliver(this.ctx, this.env, url, params, run.statusCallbackMethod);
  }

  // ---- plumbing ----

  private fresh(p: Partial<SimCallState> & Pick<SimCallState, "callSid" | "kind" | "from" | "to" | "base" | "speed" | "messageSeconds" | "status">): SimCallState {
    return {
      accountSid: simConfig(this.env).accountSid,
      identity: null,
      ref: null,
      customParameters: {},
      direction: "inbound",
      finished: false,
      startedAt: Date.now(),
      answeredAt: null,
      endedAt: null,
      connectAt: null,
      program: [],
      pc: 0,
      docUrl: null,
      waitUntil: null,
      recordStartedAt: null,
      conference: null,
      lastConference: null,
      hears: null,
      playing: null,
      muted: false,
      hangupAt: null,
      errors: [],
      events: [],
      ...p,
    };
  }

  /** Messages to the phone go out in order, in the background: the carrier may be waiting on this call. */
  private toPhone(msg: CarrierToPhone): void {
    const sid = this.s!.callSid;
    this.phoneChain = this.phoneChain
      .then(() => this.env.SIM_CARRIER.getByName(CARRIER_NAME).toPhone(sid, msg))
      .then(
        () => undefined,
        (err) => log("sim.phone_notify_failed", { callSid: sid, type: msg.type, error: String(err) }, "warn"),
      );
  }

  private ended(): boolean {
    return !this.s || this.s.finished || FINAL.includes(this.s.status);
  }

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

  private hearing(): void {
    const s = this.s!;
    const c = s.conference;
    s.playing = c?.wait?.playing ?? null;
    if (!c) s.hears = null;
    else if (c.started) s.hears = c.participants.length >= 2 ? "bridged" : "silence";
    else if (!s.playing) s.hears = "silence";
    else if (s.playing.startsWith("say: ")) s.hears = "announcement";
    else s.hears = /hold/i.test(s.playing) ? "hold-music" : "wait-music";
  }

  private save(): void {
    const s = this.s;
    if (!s) return;
    this.hearing();
    this.ctx.storage.kv.put("state", s);
    const due = [s.waitUntil, s.conference?.wait?.until ?? null, s.hangupAt, s.connectAt, s.outbound?.ringUntil ?? null].filter(
      (t): t is number => t !== null && t < Number.MAX_SAFE_INTEGER,
    );
    if (this.ended() || due.length === 0) void this.ctx.storage.deleteAlarm();
    else void this.ctx.storage.setAlarm(Math.min(...due));
    if (this.trackedStatus !== s.status) {
      this.trackedStatus = s.status;
      void this.env.SIM_CARRIER.getByName(CARRIER_NAME).track({
        callSid: s.callSid,
        kind: s.kind,
        identity: s.identity,
        from: s.from,
        to: s.to,
        status: s.status,
        startedAt: s.startedAt,
      });
    }
  }
}

/** About 2.5 words a second, at least a second, times the loops. */
function sayDuration(text: string, loop: number): number {
  return Math.max(1, text.split(/\s+/).length / 2.5) * Math.max(1, loop);
}
