/** Screens of the workbench, in navigation order. */
export const SCREENS = [
  { id: 'packages', label: 'Packages' },
  { id: 'requests', label: 'Requests' },
  { id: 'profiles', label: 'Profiles' },
  { id: 'lab', label: 'Lab issuer' },
  { id: 'inspector', label: 'Inspector' },
  { id: 'log', label: 'Log' },
  { id: 'settings', label: 'Settings' },
] as const;

/** Identifier of a screen, also its URL fragment (`#/requests`). */
export type ScreenId = (typeof SCREENS)[number]['id'];

const DEFAULT_SCREEN: ScreenId = 'packages';

function screenFromHash(hash: string): ScreenId | undefined {
  const id = hash.startsWith('#/') ? hash.slice(2) : '';
  return SCREENS.find((screen) => screen.id === id)?.id;
}

/**
 * The current screen, kept in the URL fragment so reload and the back button work. Fragments
 * that are not `#/<screen>` (the skip link's `#main`) leave the screen unchanged.
 */
class Router {
  current = $state<ScreenId>(DEFAULT_SCREEN);
  /** True after the first navigation, so focus moves to a screen heading only when the user navigated. */
  navigated = $state(false);

  /** Reads the fragment and starts following its changes. */
  start(): void {
    this.current = screenFromHash(location.hash) ?? DEFAULT_SCREEN;
    window.addEventListener('hashchange', () => {
      const next = screenFromHash(location.hash);
      if (next !== undefined && next !== this.current) {
        this.current = next;
        this.navigated = true;
      }
    });
  }

  /** Shows a screen from code (after a finished step that continues elsewhere). */
  go(id: ScreenId): void {
    location.hash = `#/${id}`;
  }
}

/** The workbench's one router. */
export const router = new Router();
