import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';

/** Path routing under /console/; the fragment is kept for the sign-in code only. */
export const BASE = '/console/';

const listeners = new Set<() => void>();
export function navigate(path: string, replace = false): void {
  const url = BASE + path.replace(/^\/+/, '');
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  for (const listener of listeners) listener();
}

/** The path after /console/, without slashes at either end ('keys/key_abc'). */
export function currentPath(): string {
  const path = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : '';
  return decodeURIComponent(path).replace(/\/+$/, '');
}

export function useRoute(): string {
  const [path, setPath] = useState(currentPath);
  useEffect(() => {
    const update = () => setPath(currentPath());
    listeners.add(update);
    addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      removeEventListener('popstate', update);
    };
  }, []);
  return path;
}

type LinkProps = { to: string; children: ComponentChildren; class?: string; 'aria-current'?: 'page' };
export function Link({ to, children, ...rest }: LinkProps) {
  const onClick = (event: MouseEvent) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
  return (
    <a href={BASE + to} onClick={onClick} {...rest}>
      {children}
    </a>
  );
}
