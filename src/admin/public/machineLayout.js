// The call machine's drawing (its layout from the server), fetched once per page and shared by every view.
import { useEffect, useState } from './vendor/preact-htm.js';
import { get } from './api.js';

/** The machine's drawing, fetched once per page. */
let layoutPromise = null;
export function useMachineLayout() {
  const [layout, setLayout] = useState(null);
  const [error, setError] = useState('');
  useEffect(() => {
    layoutPromise ??= get('/admin/api/machine');
    layoutPromise.then(setLayout).catch((failure) => {
      layoutPromise = null;
      setError(failure.message);
    });
  }, []);
  return { layout, error };
}
