// Follows the live store from a component: re-renders on every change of the live state.

import { useEffect, useState } from 'preact/hooks';
import type { LiveState, LiveStore } from './live-store.ts';

export function useLiveState(store: LiveStore): LiveState {
  const [state, setState] = useState(store.state);
  useEffect(() => {
    setState(store.state);
    return store.subscribe(() => setState(store.state));
  }, [store]);
  return state;
}
