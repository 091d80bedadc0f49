// Which page of the console is shown: the agents' console, the wallboard or the reports (with the call
// log). Kept in the URL's hash (#/wallboard, #/reports) so that a wall screen can be bookmarked and
// the Back button works, with no router: pure, unit-tested (test/web/wallboard-unit.test.ts).
import { canSupervise, type Role } from "../../worker/protocol";

export type View = "console" | "wallboard" | "reports";

export interface NavItem {
  view: View;
  label: string;
  href: string;
}

const ITEMS: readonly NavItem[] = [
  { view: "console", label: "Console", href: "#/" },
  { view: "wallboard", label: "Wallboard", href: "#/wallboard" },
  { view: "reports", label: "Reports", href: "#/reports" },
];

/** The header's links for this role: none for an agent (there is only the console), all three for a supervisor or admin. */
export function navItems(role: Role): NavItem[] {
  return canSupervise(role) ? [...ITEMS] : [];
}

/** The page a hash asks for, as this role may see it: an agent always gets the console. */
export function viewOf(hash: string, role: Role): View {
  if (!canSupervise(role)) return "console";
  const path = hash.replace(/^#\/?/, "").split(/[/?]/)[0] ?? "";
  return path === "wallboard" || path === "reports" ? path : "console";
}
