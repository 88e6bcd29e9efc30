import type { EntityManager } from '@mikro-orm/core';
import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * A request's own EntityManager, forked the first time the request touches the database. Routes
 * that answer from memory (an authenticated `GET /v1/me`, the verify endpoints on a cache hit) pay
 * for an AsyncLocalStorage scope, not for a fork.
 */
class LazyFork {
  private em?: EntityManager;
  private forking = false;

  constructor(private readonly root: EntityManager) {}

  get(name: string): EntityManager | undefined {
    if (name !== this.root.name) return undefined;
    // A new EntityManager asks for the context while it is being built: it is its own until then.
    if (!this.em && !this.forking) {
      this.forking = true;
      try {
        this.em = this.root.fork({ useContext: true, disableContextResolution: true });
      } finally {
        this.forking = false;
      }
    }
    return this.em;
  }
}

const storage = new AsyncLocalStorage<LazyFork>();

/** MikroORM's `context` option: the current request's EntityManager, if any. */
export function requestEntityManager(name: string): EntityManager | undefined {
  return storage.getStore()?.get(name);
}

/** Runs `next` (the rest of the request) with an EntityManager of its own. */
export function runInRequestContext(root: EntityManager, next: () => void): void {
  storage.run(new LazyFork(root), next);
}
