// A ringtone made with Web Audio: two-tone bursts, no audio file to ship. Browsers only start audio
// after a user gesture; the sign-in click provides it.

let ctx: AudioContext | null = null;
let timer: ReturnType<typeof setInterval> | undefined;

function burst(): void {
  if (!ctx) return;
  const now = ctx.currentTime;
  for (const [freq, start] of [
    [440, 0],
    [480, 0],
    [440, 0.5],
    [480, 0.5],
  ] as const) {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, now + start);
    gain.gain.exponentialRampToValueAtTime(0.08, now + start + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + start + 0.4);
    osc.connect(gain).connect(ctx.destination);
    osc.start(now + start);
    osc.stop(now + start + 0.45);
  }
}

/** Call from a click so the browser lets audio play later. */
export function unlockAudio(): void {
  try {
    ctx ??= new AudioContext();
    void ctx.resume();
  } catch {
    ctx = null; // no Web Audio: the visual ring still shows
  }
}

export function setRinging(on: boolean): void {
  if (on && timer === undefined) {
    burst();
    timer = setInterval(burst, 2000);
  } else if (!on && timer !== undefined) {
    clearInterval(timer);
    timer = undefined;
  }
}

let ringbackTimer: ReturnType<typeof setInterval> | undefined;

/** The ringback an agent hears while Twilio rings the person they called: 440 + 480 Hz, 2 s in 6. */
function ringbackBurst(): void {
  if (!ctx) return;
  const now = ctx.currentTime;
  for (const freq of [440, 480]) {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, now);
    gain.gain.exponentialRampToValueAtTime(0.04, now + 0.05);
    gain.gain.setValueAtTime(0.04, now + 1.95);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + 2);
    osc.connect(gain).connect(ctx.destination);
    osc.start(now);
    osc.stop(now + 2.05);
  }
}

export function setRingback(on: boolean): void {
  if (on && ringbackTimer === undefined) {
    ringbackBurst();
    ringbackTimer = setInterval(ringbackBurst, 6000);
  } else if (!on && ringbackTimer !== undefined) {
    clearInterval(ringbackTimer);
    ringbackTimer = undefined;
  }
}
