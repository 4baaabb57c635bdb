import { useEffect, useState } from 'react';

/** Below this window height the insights strip folds, so the machine grid keeps its rows. */
const QUERY = '(min-height: 760px)';

/** Whether the window is tall enough for the grid and the open insights strip, followed live. */
export function useTallWindow(): boolean {
  const [tall, setTall] = useState(() => globalThis.matchMedia?.(QUERY).matches ?? true);
  useEffect(() => {
    const media = globalThis.matchMedia?.(QUERY);
    if (!media) return;
    const onChange = () => setTall(media.matches);
    onChange();
    media.addEventListener('change', onChange);
    return () => media.removeEventListener('change', onChange);
  }, []);
  return tall;
}
