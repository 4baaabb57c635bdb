import type { Page } from 'playwright/test';

/** An interactive control that a person cannot fully see or reach. */
export interface ClippedControl {
  control: string;
  problem: string;
}

/**
 * Every visible button, input, select, textarea and link of the page that is cut off by
 * an ancestor that clips (overflow hidden or clip, e.g. a table cell), or covered by
 * another element at its centre (e.g. a sticky header over a drawer). Controls scrolled
 * out of their scroll container's view are not clipped: scrolling reaches them.
 */
export async function findClippedControls(
  page: Page,
  /** Only controls inside this element (e.g. an open drawer that lies over the page). */
  scope = 'body',
): Promise<ClippedControl[]> {
  return page.evaluate((scopeSelector) => {
    const out: { control: string; problem: string }[] = [];
    const describe = (el: Element) => {
      const label =
        el.getAttribute('aria-label') ??
        (el as HTMLElement).innerText?.trim().slice(0, 40) ??
        el.getAttribute('placeholder') ??
        '';
      return `${el.tagName.toLowerCase()} "${label}"`;
    };
    const root = document.querySelector(scopeSelector) ?? document.body;
    const controls = [...root.querySelectorAll('button, input, select, textarea, a[href]')];
    for (const el of controls) {
      const rect = el.getBoundingClientRect();
      const style = getComputedStyle(el);
      if (rect.width === 0 || rect.height === 0 || style.visibility === 'hidden') continue;
      if (el.closest('.visually-hidden')) continue;
      let scrolledAway = false;
      for (let node = el.parentElement; node; node = node.parentElement) {
        const s = getComputedStyle(node);
        const clipsX = s.overflowX !== 'visible';
        const clipsY = s.overflowY !== 'visible';
        if (!clipsX && !clipsY) continue;
        const box = node.getBoundingClientRect();
        const scrolls = /(auto|scroll)/.test(s.overflowX + s.overflowY);
        const inside =
          rect.left >= box.left - 1 &&
          rect.right <= box.right + 1 &&
          rect.top >= box.top - 1 &&
          rect.bottom <= box.bottom + 1;
        if (inside) continue;
        if (scrolls) {
          scrolledAway = true;
          break;
        }
        out.push({
          control: describe(el),
          problem: `cut off by ${node.tagName.toLowerCase()}.${[...node.classList].join('.')} (${Math.round(rect.width)}×${Math.round(rect.height)} at ${Math.round(rect.left)},${Math.round(rect.top)}; box ${Math.round(box.left)}–${Math.round(box.right)} × ${Math.round(box.top)}–${Math.round(box.bottom)})`,
        });
        break;
      }
      if (scrolledAway) continue;
      const x = rect.left + rect.width / 2;
      const y = rect.top + rect.height / 2;
      if (x < 0 || y < 0 || x > innerWidth || y > innerHeight) continue;
      const top = document.elementFromPoint(x, y);
      if (top && top !== el && !el.contains(top) && !(top as Element).contains(el)) {
        // A label over its own checkbox, or the control's own text node parent, is fine.
        const label = top.closest('label');
        if (label && (label as HTMLLabelElement).control === el) continue;
        out.push({ control: describe(el), problem: `covered by ${describe(top)}` });
      }
    }
    return out;
  }, scope);
}

/** Elements of `selector` whose centre is covered by something outside `container`. */
export async function findCoveredInside(
  page: Page,
  container: string,
  selector: string,
): Promise<string[]> {
  return page.evaluate(
    ([containerSel, sel]) => {
      const root = document.querySelector(containerSel);
      if (!root) return [`${containerSel} not found`];
      const out: string[] = [];
      for (const el of root.querySelectorAll(sel)) {
        const rect = el.getBoundingClientRect();
        if (rect.height === 0) continue;
        const x = rect.left + rect.width / 2;
        const y = rect.top + rect.height / 2;
        if (y > innerHeight || y < 0) continue;
        const top = document.elementFromPoint(x, y);
        if (top && !root.contains(top))
          out.push(`${(el as HTMLElement).innerText.slice(0, 30)} covered by ${top.tagName}`);
      }
      return out;
    },
    [container, selector] as const,
  );
}

/**
 * Visible controls without an accessible name (no text, label, aria-label, aria-labelledby
 * or title): a screen reader would announce only "button" or "edit text".
 */
export async function findUnnamedControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    for (const el of document.querySelectorAll('button, input, select, textarea, a[href]')) {
      const rect = el.getBoundingClientRect();
      if (rect.width === 0 || rect.height === 0) continue;
      const labels = (el as HTMLInputElement).labels;
      const named =
        (el.getAttribute('aria-label') ?? '').trim() !== '' ||
        el.hasAttribute('aria-labelledby') ||
        (el.getAttribute('title') ?? '').trim() !== '' ||
        (labels !== undefined && labels !== null && labels.length > 0) ||
        (el.tagName !== 'INPUT' && el.tagName !== 'SELECT' && (el.textContent ?? '').trim() !== '');
      if (!named)
        out.push(
          `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''} ${el.outerHTML.slice(0, 80)}`,
        );
    }
    return out;
  });
}
