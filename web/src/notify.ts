// A browser notification for a ring while the tab is hidden. Permission is asked once, after the
// agent's first click, never on page load.

const ASKED = "ringall.notifications.asked";

export function askNotificationsOnce(): void {
  if (typeof Notification === "undefined" || Notification.permission !== "default") return;
  if (localStorage.getItem(ASKED)) return;
  localStorage.setItem(ASKED, "1");
  void Notification.requestPermission();
}

export function notifyRing(callSid: string, from: string): void {
  if (typeof Notification === "undefined" || Notification.permission !== "granted" || !document.hidden) return;
  const n = new Notification("Incoming call", { body: `${from} is calling`, tag: callSid, requireInteraction: true });
  n.onclick = () => {
    window.focus();
    n.close();
  };
}
