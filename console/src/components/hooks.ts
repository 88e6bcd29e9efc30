import { useEffect, useState } from 'preact/hooks';
import { errorText, fieldErrors } from '../api';

/** Runs an API call: busy while it runs, and the error it failed with (as a sentence, and per field). */
export function useApiCall() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  const reset = () => {
    setBusy(false);
    setError(null);
  };
  return { busy, message: error === null ? null : errorText(error), problems: fieldErrors(error), run, reset };
}

type Page<T> = { data: T[]; next_cursor?: string | null };
interface PagedOptions {
  /** Off: nothing is fetched (a session that may not read the list). */
  enabled?: boolean;
  /** Show the loading state again when the dependencies change, instead of keeping the current rows. */
  clearOnChange?: boolean;
}

/** A cursor-paged list, fetched again when `deps` change; after an error the list is empty rather than loading. */
export function usePaged<T>(fetchPage: (cursor?: string) => Promise<Page<T>>, deps: unknown[], { enabled = true, clearOnChange = false }: PagedOptions = {}) {
  const [items, setItems] = useState<T[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = async (after?: string) => {
    try {
      const page = await fetchPage(after);
      setItems((previous) => (after && previous ? [...previous, ...page.data] : page.data));
      setCursor(page.next_cursor ?? null);
      setError(null);
    } catch (caught) {
      setError(errorText(caught));
      setItems((previous) => previous ?? []);
    }
  };
  useEffect(() => {
    if (!enabled) return;
    if (clearOnChange) setItems(null);
    void load();
  }, deps);
  return { items, setItems, cursor, error, reload: () => load(), more: () => cursor && load(cursor) };
}
