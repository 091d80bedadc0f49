// The header's links between the console, the wallboard and the reports, for supervisors and admins
// only (route.ts); the page shown follows the URL's hash.
import { createSignal, For, onCleanup, Show } from "solid-js";
import type { Role } from "../../../worker/protocol";
import { navItems, type View, viewOf } from "../route";
import "../supervisor.css";

/** The page the hash asks for, as this role may see it; follows the Back button and the links. */
export function useView(role: () => Role): () => View {
  const [hash, setHash] = createSignal(location.hash);
  const onHash = () => setHash(location.hash);
  window.addEventListener("hashchange", onHash);
  onCleanup(() => window.removeEventListener("hashchange", onHash));
  return () => viewOf(hash(), role());
}

export function Nav(props: { role: Role; view: View }) {
  return (
    <Show when={navItems(props.role).length > 0}>
      <nav class="views" aria-label="Pages" data-testid="views-nav">
        <For each={navItems(props.role)}>
          {(item) => (
            <a href={item.href} aria-current={props.view === item.view ? "page" : undefined} data-testid={`nav-${item.view}`}>
              {item.label}
            </a>
          )}
        </For>
      </nav>
    </Show>
  );
}
