// Writes the lobby's audio (web/public/audio), served by the worker itself so that no caller depends
// on a third party's URL: 8 kHz μ-law WAV, the telephone network's own format, which Twilio plays
// without transcoding. Run once; the files are committed.
import { writeFileSync } from "node:fs";

const RATE = 8000;

function mulaw(sample) {
  const BIAS = 0x84;
  let s = Math.max(-32635, Math.min(32635, Math.round(sample * 32635)));
  const sign = s < 0 ? 0x80 : 0;
  if (s < 0) s = -s;
  s += BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

function wav(samples) {
  const data = Buffer.from(samples.map(mulaw));
  const h = Buffer.alloc(46);
  h.write("RIFF", 0);
  h.writeUInt32LE(38 + data.length, 4);
  h.write("WAVEfmt ", 8);
  h.writeUInt32LE(18, 16);
  h.writeUInt16LE(7, 20); // WAVE_FORMAT_MULAW
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(RATE, 24);
  h.writeUInt32LE(RATE, 28);
  h.writeUInt16LE(1, 32);
  h.writeUInt16LE(8, 34);
  h.writeUInt16LE(0, 36);
  h.write("data", 38);
  h.writeUInt32LE(data.length, 42);
  return Buffer.concat([h, data]);
}

/**
 * North American ringback: 440 + 480 Hz, two seconds on, four off; one cycle. Short on purpose: the
 * wait URL is asked again after each play, and that is when a caller's music can change (a declined
 * transfer going back to the lot hears hold music within six seconds).
 */
function ringback() {
  const out = [];
  for (let i = 0; i < RATE * 6; i++) {
    const t = i / RATE;
    const on = t % 6 < 2;
    out.push(on ? 0.25 * (Math.sin(2 * Math.PI * 440 * t) + Math.sin(2 * Math.PI * 480 * t)) : 0);
  }
  return out;
}

/** A calm arpeggio (C major, A minor, F major, G major), soft attack and decay: hold music. */
function hold() {
  const chords = [
    [261.63, 329.63, 392.0],
    [220.0, 261.63, 329.63],
    [174.61, 220.0, 261.63],
    [196.0, 246.94, 293.66],
  ];
  const note = 0.375;
  const out = [];
  for (let bar = 0; bar < 8; bar++) {
    const chord = chords[bar % 4];
    for (let n = 0; n < 8; n++) {
      const f = chord[n % 3] * (n >= 3 && n < 6 ? 2 : 1);
      for (let i = 0; i < RATE * note; i++) {
        const t = i / RATE;
        const env = Math.min(1, t / 0.02) * Math.exp(-3 * t);
        const bass = 0.15 * Math.sin(2 * Math.PI * (chord[0] / 2) * (bar * 8 * note + n * note + t));
        out.push(0.35 * env * Math.sin(2 * Math.PI * f * t) + bass);
      }
    }
  }
  return out;
}

writeFileSync(new URL("../web/public/audio/ringback.wav", import.meta.url), wav(ringback()));
writeFileSync(new URL("../web/public/audio/hold.wav", import.meta.url), wav(hold()));
