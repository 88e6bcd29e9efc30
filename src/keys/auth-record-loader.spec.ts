import type { AuthRecord } from './auth-record';
import { AuthRecordLoader } from './auth-record-loader';

const record = (hash: string) => ({ secretHash: hash }) as AuthRecord;

/** A database stand-in for the batching logic alone: it records each query's hashes and answers when told. */
class Queries {
  readonly asked: string[][] = [];
  private readonly answers: PromiseWithResolvers<Map<string, AuthRecord>>[] = [];

  fetch = (hashes: string[]) => {
    this.asked.push(hashes);
    const answer = Promise.withResolvers<Map<string, AuthRecord>>();
    this.answers.push(answer);
    return answer.promise;
  };

  answer(i: number, known: string[]) {
    this.answers[i].resolve(new Map(known.map((h) => [h, record(h)])));
  }

  fail(i: number, err: Error) {
    this.answers[i].reject(err);
  }
}

const turn = () => new Promise((r) => setImmediate(r));

describe('AuthRecordLoader', () => {
  let queries: Queries;
  let cache: { generation: number; isTrusted: boolean; begin(): number };
  let loader: AuthRecordLoader;

  beforeEach(() => {
    queries = new Queries();
    cache = { generation: 0, isTrusted: true, begin: () => cache.generation };
    loader = new AuthRecordLoader(queries.fetch, cache, { maxBatch: 3, maxInFlight: 1, holdMs: 50 });
  });

  it('sends the misses of one turn together, once per hash, and answers each with its own record or null', async () => {
    const a = loader.load('a');
    const b = loader.load('b');
    const a2 = loader.load('a');
    await turn();
    expect(queries.asked).toEqual([['a', 'b']]);
    queries.answer(0, ['a']);
    expect(await a).toEqual({ record: record('a'), generation: 0 });
    expect(await a2).toEqual({ record: record('a'), generation: 0 });
    expect(await b).toEqual({ record: null, generation: 0 });
  });

  it('gathers the misses that come while a query is under way into the next one', async () => {
    const first = loader.load('a');
    await turn();
    const later = [loader.load('b'), loader.load('c')];
    await turn();
    expect(queries.asked).toEqual([['a']]);
    queries.answer(0, ['a']);
    await first;
    expect(queries.asked).toEqual([['a'], ['b', 'c']]);
    queries.answer(1, ['b', 'c']);
    expect((await Promise.all(later)).map((l) => l.record?.secretHash)).toEqual(['b', 'c']);
  });

  it('sends a full batch at once, and a waiting one after holdMs even while a query hangs', async () => {
    void loader.load('a');
    await turn();
    const full = ['b', 'c', 'd'].map((h) => loader.load(h));
    expect(queries.asked).toEqual([['a'], ['b', 'c', 'd']]);
    const waiting = loader.load('e');
    await turn();
    expect(queries.asked).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 80));
    expect(queries.asked).toEqual([['a'], ['b', 'c', 'd'], ['e']]);
    queries.answer(1, ['b']);
    queries.answer(2, ['e']);
    expect((await Promise.all(full)).map((l) => l.record?.secretHash)).toEqual(['b', undefined, undefined]);
    expect((await waiting).record?.secretHash).toBe('e');
  });

  it('joins a query already sent only while nothing changed since it was sent', async () => {
    const first = loader.load('a');
    await turn();
    const joined = loader.load('a');
    cache.generation++;
    const after = loader.load('a');
    await turn();
    // The second query waits for the first (one in flight): answer it, then the next goes.
    queries.answer(0, ['a']);
    expect(await first).toEqual({ record: record('a'), generation: 0 });
    expect(await joined).toEqual({ record: record('a'), generation: 0 });
    expect(queries.asked).toEqual([['a'], ['a']]);
    queries.answer(1, []);
    expect(await after).toEqual({ record: null, generation: 1 });
  });

  it('never joins a query already sent while the cache is not trusted', async () => {
    void loader.load('a');
    await turn();
    cache.isTrusted = false;
    const own = loader.load('a');
    queries.answer(0, ['a']);
    await turn();
    expect(queries.asked).toEqual([['a'], ['a']]);
    queries.answer(1, []);
    expect((await own).record).toBeNull();
  });

  it('fails every request of a failed query with its error, and goes on with the next', async () => {
    const a = loader.load('a');
    const b = loader.load('b');
    await turn();
    const down = new Error('Connection terminated');
    queries.fail(0, down);
    await expect(a).rejects.toBe(down);
    await expect(b).rejects.toBe(down);
    const again = loader.load('a');
    await turn();
    queries.answer(1, ['a']);
    expect((await again).record?.secretHash).toBe('a');
  });
});
