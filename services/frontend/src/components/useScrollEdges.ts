import { useCallback, useLayoutEffect, useRef, useState, type RefObject } from "react";

export interface ScrollEdges {
  /** Scrolled away from the start: there is more before. */
  before: boolean;
  /** Not scrolled to the end: there is more after. */
  after: boolean;
}

/** Whether a sideways-scrolling element hides content on either side (for a faded edge). */
export function useScrollEdges<T extends HTMLElement>(): [RefObject<T | null>, ScrollEdges, () => void] {
  const ref = useRef<T>(null);
  const [edges, setEdges] = useState<ScrollEdges>({ before: false, after: false });
  const measure = useCallback(() => {
    const el = ref.current;
    if (!el) return;
    const before = el.scrollLeft > 1;
    const after = el.scrollLeft + el.clientWidth < el.scrollWidth - 1;
    setEdges((e) => (e.before === before && e.after === after ? e : { before, after }));
  }, []);
  // After every render (rooms come and go) and on resize (a turned phone).
  useLayoutEffect(measure);
  useLayoutEffect(() => {
    window.addEventListener("resize", measure);
    return () => window.removeEventListener("resize", measure);
  }, [measure]);
  return [ref, edges, measure];
}
