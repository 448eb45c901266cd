/** Driving the dashboard through its controls (data-testid), over the lab's page session. */
import { resolve } from 'node:path';
import type { FlatPage } from './cdp.ts';
import { LabError } from './errors.ts';

const q = (testId: string) => `document.querySelector('[data-testid=${JSON.stringify(testId)}]')`;

/** Polls `expression` in the page until it is truthy; resolves with its value. */
export async function waitUntil<T>(page: FlatPage, expression: string, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await page.evaluate<T>(expression).catch(() => null);
    if (v) return v;
    if (Date.now() > deadline) throw new LabError(`Timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}.`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function waitForApp(page: FlatPage): Promise<void> {
  await waitUntil(page, `!!(window.framepool && ${q('start')})`, 60_000, 'the app to load');
}

/** Gives the app a file as the file picker would, and waits until it is described or refused. */
export async function chooseFile(page: FlatPage, path: string | null): Promise<void> {
  if (path) {
    const { root } = await page.sendPage<{ root: { nodeId: number } }>('DOM.getDocument', { depth: 0 });
    const { nodeId } = await page.sendPage<{ nodeId: number }>('DOM.querySelector', { nodeId: root.nodeId, selector: '[data-testid=file-input]' });
    await page.sendPage('DOM.setFileInputFiles', { nodeId, files: [resolve(path)] });
  } else {
    await page.evaluate(`${q('use-sample')}.click()`);
  }
  const outcome = await waitUntil<{ ok: boolean; text: string }>(page,
    `(() => { const e = ${q('error')}; if (e && !e.hidden) return { ok: false, text: e.textContent };
      return !${q('start')}.disabled && { ok: true, text: '' }; })()`, 120_000, 'the app to read the file');
  if (!outcome.ok) {
    throw new LabError(`${outcome.text.replace(/^Problem:\s*/, '')}${/[.!]$/.test(outcome.text) ? '' : '.'} Give --file a video the app can decode (for example public/sample.mp4), or leave --file out to use the sample.`);
  }
}

/** Sets a <select> the way a user would (value + change event). */
export async function select(page: FlatPage, testId: string, value: string): Promise<void> {
  const ok = await page.evaluate<boolean>(`(() => { const s = ${q(testId)};
    if (![...s.options].some((o) => o.value === ${JSON.stringify(value)} && !o.disabled)) return false;
    s.value = ${JSON.stringify(value)}; s.dispatchEvent(new Event('change', { bubbles: true })); return true; })()`);
  if (!ok) throw new LabError(`The app has no ${testId} "${value}".`);
}

export async function click(page: FlatPage, testId: string): Promise<void> {
  await page.evaluate(`${q(testId)}.click()`);
}

/** Waits for the run (or Compare) started last to end; returns the status line. */
export async function waitForEnd(page: FlatPage, compare: boolean, timeoutMs: number): Promise<string> {
  const pattern = compare ? String.raw`/^Compare \d+ (done|failed|stopped)/` : String.raw`/ done: | failed: |stopped/`;
  const r = await waitUntil<{ reloaded?: true; status?: string }>(page, `(() => { if (!window.__labRunMarker) return { reloaded: true };
    const s = ${q('status')}.textContent;
    return ${pattern}.test(s) && !${q('start')}.disabled && { status: s }; })()`, timeoutMs, compare ? 'the Compare to end' : 'the run to end');
  if (r.reloaded) throw new LabError('The page reloaded during the run (the dev server re-optimised its dependencies, or the page crashed): run the lab again.');
  return r.status!;
}

/** Marks the page, so that waitForEnd notices a reload. */
export async function markPage(page: FlatPage): Promise<void> {
  await page.evaluate('window.__labRunMarker = true');
}
