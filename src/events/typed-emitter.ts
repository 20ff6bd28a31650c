// A typed event emitter whose emit never throws: a listener's exception is reported to the
// logger, not to the loop that emitted. An 'error' without listeners is logged, not thrown.
import type { Logger } from '../logger.js';

// biome-ignore lint/suspicious/noExplicitAny: listeners of any event map; each event's own type is checked at on()/emit()
type Listener = (...args: any[]) => void;

export class TypedEmitter<Events extends { [K in keyof Events]: Listener }> {
  private readonly listeners = new Map<keyof Events, Set<Listener>>();
  constructor(protected readonly logger: Logger) {}

  on<K extends keyof Events>(event: K, listener: Events[K]): this {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener);
    return this;
  }

  once<K extends keyof Events>(event: K, listener: Events[K]): this {
    const wrapped = ((...args: unknown[]) => {
      this.off(event, wrapped as Events[K]);
      listener(...args);
    }) as Events[K];
    return this.on(event, wrapped);
  }

  off<K extends keyof Events>(event: K, listener: Events[K]): this {
    this.listeners.get(event)?.delete(listener);
    return this;
  }

  listenerCount(event: keyof Events): number {
    return this.listeners.get(event)?.size ?? 0;
  }

  protected emit<K extends keyof Events>(event: K, ...args: Parameters<Events[K]>): void {
    const set = this.listeners.get(event);
    if (!set || set.size === 0) {
      if (event === 'error') this.logger.error({ err: args[0] }, 'unhandled error event');
      return;
    }
    for (const listener of [...set]) {
      try {
        listener(...args);
      } catch (err) {
        this.logger.error({ err, event }, 'event listener threw; ignored');
      }
    }
  }
}
