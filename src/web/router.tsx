// Client-side navigation with the History API: the current location as state every component can
// follow, `navigate` to move without reloading, and links that do the same on a plain click.

import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';

export interface PanelLocation {
  pathname: string;
  search: string;
}

const listeners = new Set<() => void>();

function current(): PanelLocation {
  return { pathname: window.location.pathname, search: window.location.search };
}

function notify(): void {
  for (const listener of [...listeners]) listener();
}

/** Goes to `to` (a path with its query) without reloading; `replace` keeps the history entry count. */
export function navigate(to: string, replace = false): void {
  if (to === `${window.location.pathname}${window.location.search}`) return;
  if (replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  notify();
}

/** The location, re-rendering on every navigation (ours and the browser's back/forward). */
export function useLocation(): PanelLocation {
  const [location, setLocation] = useState(current);
  useEffect(() => {
    const update = (): void => setLocation(current());
    listeners.add(update);
    window.addEventListener('popstate', update);
    update();
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return location;
}

export interface LinkProps {
  href: string;
  class?: string;
  'aria-current'?: 'page';
  children?: ComponentChildren;
}

/** An anchor that navigates in place on a plain left click (a new tab still works as usual). */
export function Link({ href, children, class: className, 'aria-current': current }: LinkProps): JSX.Element {
  const onClick = (event: MouseEvent): void => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(href);
  };
  return (
    <a href={href} class={className} aria-current={current} onClick={onClick}>
      {children}
    </a>
  );
}
