/**
 * A short WAV file standing in for a voicemail recording: 8 kHz mono 16-bit PCM, a soft two-tone
 * murmur so that playback in the console is audible. Generated on request; nothing is stored.
 */
export function recordingWav(seconds: number): ArrayBuffer {
  const rate = 8000;
  const samples = Math.max(1, Math.round(Math.min(seconds, 120) * rate));
  const buf = new ArrayBuffer(44 + samples * 2);
  const v = new DataView(buf);
  const text = (at: number, s: string) => [...s].forEach((ch, i) => v.setUint8(at + i, ch.charCodeAt(0)));
  text(0, "RIFF");
  v.setUint32(4, 36 + samples * 2, true);
  text(8, "WAVE");
  text(12, "fmt ");
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true); // PCM
  v.setUint16(22, 1, true); // mono
  v.setUint32(24, rate, true);
  v.setUint32(28, rate * 2, true);
  v.setUint16(32, 2, true);
  v.setUint16(34, 16, true);
  text(36, "data");
  v.setUint32(40, samples * 2, true);
  for (let i = 0; i < samples; i++) {
    const t = i / rate;
    // A "voice" of two tones whose loudness rises and falls like syllables.
    const envelope = 0.5 + 0.5 * Math.sin(2 * Math.PI * 3 * t);
    const s = envelope * (0.6 * Math.sin(2 * Math.PI * 220 * t) + 0.4 * Math.sin(2 * Math.PI * 330 * t));
    v.setInt16(44 + i * 2, Math.round(s * 6000), true);
  }
  return buf;
}
