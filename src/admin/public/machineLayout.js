// The call machine's drawing (its layout from the server), fetched once per page and shared by every view.
import { useEffect, useState } from './vendor/preact-htm.js';
import { get } from './api.js';

let layoutPromise = null;
/** Once fetched, a view that mounts later draws at once (no "drawing…" flash between the live and the replay). */
let layoutFetched = null;

/** The machine's drawing, fetched once per page. */
export function useMachineLayout() {
  const [layout, setLayout] = useState(layoutFetched);
  const [error, setError] = useState('');
  useEffect(() => {
    if (layoutFetched !== null) return;
    layoutPromise ??= get('/admin/api/machine').then((fetched) => (layoutFetched = fetched));
    layoutPromise.then(setLayout).catch((failure) => {
      layoutPromise = null;
      setError(failure.message);
    });
  }, []);
  return { layout, error };
}
