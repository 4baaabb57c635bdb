import { useEffect, useState } from 'react';

const QUERY = '(prefers-color-scheme: dark)';

/** The system colour scheme, followed live (the canvas cannot use CSS variables). */
export function useColorScheme(): 'light' | 'dark' {
  const [dark, setDark] = useState(() => globalThis.matchMedia?.(QUERY).matches ?? false);
  useEffect(() => {
    const media = globalThis.matchMedia?.(QUERY);
    if (!media) return;
    const onChange = () => setDark(media.matches);
    media.addEventListener('change', onChange);
    return () => media.removeEventListener('change', onChange);
  }, []);
  return dark ? 'dark' : 'light';
}
