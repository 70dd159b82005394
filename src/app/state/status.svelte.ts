import { Workbox } from 'workbox-window';
import { requestPersistence, estimateStorage, type PersistenceResult } from '../../storage/persistence.js';

/**
 * State of the status bar: whether the app is cached for offline use, whether a new version
 * is waiting, whether the browser granted persistent storage, and the network state.
 */
class AppStatus {
  offlineReady = $state(false);
  updateReady = $state(false);
  serviceWorker = $state<'pending' | 'active' | 'unsupported' | 'failed'>('pending');
  persistence = $state<PersistenceResult | 'pending'>('pending');
  usageBytes = $state<number | undefined>(undefined);
  quotaBytes = $state<number | undefined>(undefined);
  online = $state(true);
  #workbox: Workbox | undefined;

  /** Registers the service worker, asks for persistent storage and follows the network state. */
  async start(): Promise<void> {
    this.online = navigator.onLine;
    window.addEventListener('online', () => (this.online = true));
    window.addEventListener('offline', () => (this.online = false));
    void this.#registerServiceWorker();
    this.persistence = await requestPersistence();
    await this.refreshEstimate();
  }

  /** Reads storage use and quota again (after a large import). */
  async refreshEstimate(): Promise<void> {
    const { usage, quota } = await estimateStorage();
    this.usageBytes = usage;
    this.quotaBytes = quota;
  }

  /** Activates the waiting version; the page reloads when it takes control. */
  applyUpdate(): void {
    if (this.#workbox === undefined) return;
    this.#workbox.addEventListener('controlling', () => location.reload());
    this.#workbox.messageSkipWaiting();
  }

  async #registerServiceWorker(): Promise<void> {
    // The dev server serves no service worker; the built app (vite build / preview) does.
    if (!('serviceWorker' in navigator) || import.meta.env.DEV) {
      this.serviceWorker = 'unsupported';
      return;
    }
    const workbox = new Workbox('./sw.js', { scope: './' });
    this.#workbox = workbox;
    workbox.addEventListener('waiting', () => (this.updateReady = true));
    try {
      await workbox.register();
      // `ready` resolves once an active worker exists, which is after its precache finished.
      await navigator.serviceWorker.ready;
      this.serviceWorker = 'active';
      this.offlineReady = true;
    } catch {
      this.serviceWorker = 'failed';
    }
  }
}

/** The workbench's one status. */
export const appStatus = new AppStatus();
