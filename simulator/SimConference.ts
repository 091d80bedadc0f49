import { DurableObject } from "cloudflare:workers";
import type { Env } from "../worker/env";
import { log } from "../worker/log";
import { newSid } from "./sids";
import type { HttpMethod } from "./twiml";
import { deliver } from "./webhook";

/** What a <Dial><Conference> brings to the conference: the participant and its callback settings. */
export interface JoinRequest {
  callSid: string;
  accountSid: string;
  label: string | null;
  muted: boolean;
  startConferenceOnEnter: boolean;
  endConferenceOnExit: boolean;
  statusCallback: string | null;
  statusCallbackMethod: HttpMethod;
  statusCallbackEvents: string[];
}

export type JoinResult =
  | { ok: true; conferenceSid: string; created: boolean; started: boolean; participants: string[] }
  | { ok: false; code: number; message: string };

/** ReasonParticipantLeft (Twilio's enum, added Oct 2023). */
export type LeaveReason =
  | "participant_hung_up"
  | "participant_updated_via_api"
  | "participant_add_failed"
  | "moderator_ended_conference"
  | "conference_ended_via_api";

export interface LeaveRequest {
  conferenceSid: string;
  callSid: string;
  reason: LeaveReason;
  /** ParticipantCallStatus: the participant's call status as it leaves. */
  callStatus: string;
}

/** What a participant's SimCall is told when the conference changes under it. */
export interface ConferenceNotice {
  conferenceSid: string;
  kind: "update" | "ended";
  started: boolean;
  /** The CallSids in the conference now (empty once ended). */
  participants: string[];
  reason?: string;
}

interface Participant {
  callSid: string;
  label: string | null;
  muted: boolean;
  startConferenceOnEnter: boolean;
  endConferenceOnExit: boolean;
  joinedAt: number;
}

interface Instance {
  conferenceSid: string;
  friendlyName: string;
  accountSid: string;
  createdAt: number;
  startedAt: number | null;
  /** The first joiner's callback settings: later joiners' are ignored (voice/twiml/conference). */
  statusCallback: string | null;
  statusCallbackMethod: HttpMethod;
  statusCallbackEvents: string[];
  sequence: number;
  participants: Participant[];
}

interface PastInstance {
  conferenceSid: string;
  createdAt: number;
  startedAt: number | null;
  endedAt: number;
  reason: string;
}

export interface SimConferenceState {
  friendlyName: string | null;
  current: Instance | null;
  /** Ended instances of this name, newest last. */
  past: PastInstance[];
  events: { at: number; what: string }[];
}

const KEEP_PAST = 20;
const MAX_EVENTS = 300;

/** Which statusCallbackEvent subscribes to which StatusCallbackEvent. */
const SUBSCRIPTION: Record<string, string> = {
  "conference-start": "start",
  "conference-end": "end",
  "participant-join": "join",
  "participant-leave": "leave",
  "participant-mute": "mute",
  "participant-unmute": "mute",
};

/**
 * The conferences of one friendly name (the product uses the caller's CallSid), one instance at a
 * time: the first joiner creates an instance (a new ConferenceSid), it ends when its moderator
 * (endConferenceOnExit) or its last participant leaves, and a later join creates a new instance.
 *
 * Deadlocks: a SimCall runs everything through one queue and awaits join()/leave() from inside it. So
 * nothing here ever awaits a SimCall: join() and leave() change the state synchronously and return
 * what the caller needs (ConferenceSid, started, who is in), and the OTHER participants are told by
 * notices sent in the background (one ordered chain per participant), like the status callbacks (one
 * ordered chain for the instance). A participant's SimCall then applies its notice in its own queue,
 * after whatever it is doing; the notice names the ConferenceSid, so a stale one is ignored.
 */
export class SimConference extends DurableObject<Env> {
  private s: SimConferenceState;
  private callbacks: Promise<void> = Promise.resolve();
  private notices = new Map<string, Promise<void>>();
  private pending = new Set<Promise<void>>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.s = ctx.storage.kv.get<SimConferenceState>("state") ?? { friendlyName: null, current: null, past: [], events: [] };
  }

  join(friendlyName: string, j: JoinRequest): JoinResult {
    const s = this.s;
    s.friendlyName = friendlyName;
    let inst = s.current;
    let created = false;
    if (!inst) {
      inst = {
        conferenceSid: newSid("CF"),
        friendlyName,
        accountSid: j.accountSid,
        createdAt: Date.now(),
        startedAt: null,
        statusCallback: j.statusCallback,
        statusCallbackMethod: j.statusCallbackMethod,
        statusCallbackEvents: j.statusCallbackEvents,
        sequence: 0,
        participants: [],
      };
      s.current = inst;
      created = true;
      this.event(`${inst.conferenceSid} created by ${j.callSid}`);
    }
    if (inst.participants.some((p) => p.callSid === j.callSid)) {
      return { ok: true, conferenceSid: inst.conferenceSid, created: false, started: inst.startedAt !== null, participants: this.sids(inst) };
    }
    if (j.label !== null && inst.participants.some((p) => p.label === j.label)) {
      this.event(`${j.callSid} refused: participantLabel "${j.label}" is taken (16025)`);
      this.save();
      return { ok: false, code: 16025, message: `Participant label "${j.label}" already exists in conference ${inst.conferenceSid}` };
    }
    const p: Participant = {
      callSid: j.callSid,
      label: j.label,
      muted: j.muted,
      startConferenceOnEnter: j.startConferenceOnEnter,
      endConferenceOnExit: j.endConferenceOnExit,
      joinedAt: Date.now(),
    };
    inst.participants.push(p);
    this.event(`${j.callSid} joined${j.label ? ` as ${j.label}` : ""}`);
    this.callback(inst, "participant-join", this.participantParams(p));
    // It starts with at least two participants, one of them with startConferenceOnEnter.
    if (inst.startedAt === null && inst.participants.length >= 2 && inst.participants.some((q) => q.startConferenceOnEnter)) {
      inst.startedAt = Date.now();
      this.event(`${inst.conferenceSid} started`);
      this.callback(inst, "conference-start", {});
    }
    this.tellOthers(inst, j.callSid, { conferenceSid: inst.conferenceSid, kind: "update", started: inst.startedAt !== null, participants: this.sids(inst) });
    this.save();
    return { ok: true, conferenceSid: inst.conferenceSid, created, started: inst.startedAt !== null, participants: this.sids(inst) };
  }

  /** A participant leaves; false when it was not (or no longer) in that instance. */
  leave(l: LeaveRequest): boolean {
    const inst = this.s.current;
    if (!inst || inst.conferenceSid !== l.conferenceSid) return false;
    const p = inst.participants.find((q) => q.callSid === l.callSid);
    if (!p) return false;
    inst.participants = inst.participants.filter((q) => q !== p);
    this.event(`${l.callSid} left (${l.reason}, ${l.callStatus})`);
    this.callback(inst, "participant-leave", { ...this.participantParams(p), ParticipantCallStatus: l.callStatus, ReasonParticipantLeft: l.reason });
    if (p.endConferenceOnExit) this.end(inst, p, "participant-with-end-conference-on-exit-left");
    else if (inst.participants.length === 0) this.end(inst, p, "last-participant-left");
    else this.tellOthers(inst, l.callSid, { conferenceSid: inst.conferenceSid, kind: "update", started: inst.startedAt !== null, participants: this.sids(inst) });
    this.save();
    return true;
  }

  mute(conferenceSid: string, callSid: string, muted: boolean): void {
    const inst = this.s.current;
    const p = inst?.conferenceSid === conferenceSid ? inst.participants.find((q) => q.callSid === callSid) : undefined;
    if (!inst || !p || p.muted === muted) return;
    p.muted = muted;
    this.event(`${callSid} ${muted ? "muted" : "unmuted"}`);
    this.callback(inst, muted ? "participant-mute" : "participant-unmute", this.participantParams(p));
    this.save();
  }

  state(): SimConferenceState {
    return this.s;
  }

  /** Resolves once every callback and notice already under way has been delivered. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  // ---- instance end ----

  /** Every other participant's <Dial> completes: each gets a participant-leave and its notice. */
  private end(inst: Instance, ending: Participant, reason: string): void {
    for (const q of inst.participants) {
      this.callback(inst, "participant-leave", {
        ...this.participantParams(q),
        ParticipantCallStatus: "in-progress",
        ReasonParticipantLeft: "moderator_ended_conference",
      });
      this.notify(q.callSid, { conferenceSid: inst.conferenceSid, kind: "ended", started: inst.startedAt !== null, participants: [], reason });
    }
    inst.participants = [];
    this.callback(inst, "conference-end", {
      CallSidEndingConference: ending.callSid,
      ...(ending.label ? { ParticipantLabelEndingConference: ending.label } : {}),
      ReasonConferenceEnded: reason,
      Reason: reason === "last-participant-left" ? `Last participant ${ending.callSid} left` : `Participant ${ending.callSid} with endConferenceOnExit left`,
    });
    this.event(`${inst.conferenceSid} ended (${reason})`);
    this.s.past.push({ conferenceSid: inst.conferenceSid, createdAt: inst.createdAt, startedAt: inst.startedAt, endedAt: Date.now(), reason });
    if (this.s.past.length > KEEP_PAST) this.s.past.splice(0, this.s.past.length - KEEP_PAST);
    this.s.current = null;
  }

  // ---- outgoing ----

  private participantParams(p: Participant): Record<string, string> {
    return {
      CallSid: p.callSid,
      ...(p.label ? { ParticipantLabel: p.label } : {}),
      Muted: String(p.muted),
      Hold: "false",
      Coaching: "false",
      EndConferenceOnExit: String(p.endConferenceOnExit),
      StartConferenceOnEnter: String(p.startConferenceOnEnter),
    };
  }

  /** Queues one status callback if the first joiner subscribed to it; SequenceNumber is taken now, in event order. */
  private callback(inst: Instance, event: string, extra: Record<string, string>): void {
    const url = inst.statusCallback;
    if (!url || !inst.statusCallbackEvents.includes(SUBSCRIPTION[event] ?? "")) return;
    const params: Record<string, string> = {
      AccountSid: inst.accountSid,
      ConferenceSid: inst.conferenceSid,
      FriendlyName: inst.friendlyName,
      SequenceNumber: String(++inst.sequence),
      Timestamp: rfc2822(new Date()),
      StatusCallbackEvent: event,
      ...extra,
    };
    const method = inst.statusCallbackMethod;
    this.callbacks = this.track(
      this.callbacks.then(async () => {
        const r = await deliver(this.ctx, this.env, url, params, method);
        if (!r.ok) this.event(`${event} callback for ${params.CallSid ?? inst.conferenceSid} answered ${r.status}`);
      }),
    );
  }

  private tellOthers(inst: Instance, except: string, notice: ConferenceNotice): void {
    for (const q of inst.participants) if (q.callSid !== except) this.notify(q.callSid, notice);
  }

  /** In the background, in order per participant, never awaited by join()/leave() (see the class comment). */
  private notify(callSid: string, notice: ConferenceNotice): void {
    const before = this.notices.get(callSid) ?? Promise.resolve();
    const next = this.track(
      before.then(async () => {
        try {
          await this.env.SIM_CALLS.getByName(callSid).conferenceNotice(notice);
        } catch (err) {
          log("sim.conference_notice_failed", { callSid, conferenceSid: notice.conferenceSid, error: String(err) }, "warn");
        }
      }),
    );
    this.notices.set(callSid, next);
    void next.then(() => {
      if (this.notices.get(callSid) === next) this.notices.delete(callSid);
    });
  }

  private track(p: Promise<void>): Promise<void> {
    const safe = p.catch((err) => log("sim.conference_error", { error: String(err) }, "error"));
    this.pending.add(safe);
    void safe.then(() => this.pending.delete(safe));
    return safe;
  }

  private sids(inst: Instance): string[] {
    return inst.participants.map((p) => p.callSid);
  }

  private event(what: string): void {
    this.s.events.push({ at: Date.now(), what });
    if (this.s.events.length > MAX_EVENTS) this.s.events.splice(0, this.s.events.length - MAX_EVENTS);
  }

  private save(): void {
    this.ctx.storage.kv.put("state", this.s);
  }
}

/** Twilio's Timestamp format: "Thu, 1 Jun 2017 20:48:32 +0000". */
export function rfc2822(d: Date): string {
  const days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const two = (n: number) => String(n).padStart(2, "0");
  return `${days[d.getUTCDay()]}, ${d.getUTCDate()} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}
