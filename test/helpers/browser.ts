import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/**
 * Browser tests drive Debian's Chromium through playwright-core (STACK.md: never a browser
 * download). One browser per test file, a fresh context per test.
 */
export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export const SCREENSHOT_DIR = join(__dirname, '..', '..', 'test-artifacts', 'screenshots');

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ARGS });
}

export interface TrackedContext {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught page errors, CSP violations included. */
  errors: string[];
  /** Every URL the browser asked for: must all be loopback. */
  requested: string[];
}

/**
 * A new context whose requests may only reach loopback (anything else is aborted and recorded),
 * and whose console errors are collected so a test can assert the page ran cleanly under CSP.
 */
export async function openContext(browser: Browser, opts: { viewport?: { width: number; height: number } } = {}): Promise<TrackedContext> {
  const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1100, height: 900 }, locale: 'en-US', timezoneId: 'UTC' });
  // Well under Jest's 30 s, so a stuck step fails with Playwright's message naming the locator.
  context.setDefaultTimeout(8000);
  const errors: string[] = [];
  const requested: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    requested.push(url);
    const host = new URL(url).hostname;
    if (host === '127.0.0.1' || host === 'localhost') return route.continue();
    return route.abort('blockedbyclient');
  });
  context.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  context.on('weberror', (err) => errors.push(String(err.error())));
  const page = await context.newPage();
  return { context, page, errors, requested };
}

/** Saves a full-page screenshot as test-artifacts/screenshots/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Requests that left loopback: always expected to be none. */
export function offLoopback(requested: string[]): string[] {
  return requested.filter((u) => !/^(https?:\/\/(127\.0\.0\.1|localhost)(:\d+)?\/|data:|about:|blob:)/.test(u));
}

/** The page is wider than the window: a narrow screen would have to scroll sideways. */
export function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

/** The focused element's outline as drawn: style, width in px and colour. */
export function focusRing(page: Page): Promise<{ tag: string; style: string; width: number; color: string }> {
  return page.evaluate(() => {
    const e = document.activeElement as HTMLElement;
    const s = getComputedStyle(e);
    return { tag: e.tagName.toLowerCase(), style: s.outlineStyle, width: parseFloat(s.outlineWidth), color: s.outlineColor };
  });
}

/**
 * Visible text whose contrast with its background is under WCAG AA (4.5:1; 3:1 for large text).
 * The background is the nearest ancestor's opaque background colour (the page is white).
 */
export function contrastProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const parse = (c: string): number[] => (c.match(/[\d.]+/g) ?? []).map(Number);
    const lum = ([r, g, b]: number[]): number => {
      const ch = (v: number): number => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * ch(r!) + 0.7152 * ch(g!) + 0.0722 * ch(b!);
    };
    const background = (e: Element | null): number[] => {
      for (let n = e; n; n = n.parentElement) {
        const c = parse(getComputedStyle(n).backgroundColor);
        if (c.length === 3 || (c.length === 4 && c[3]! > 0)) return c.slice(0, 3);
      }
      return [255, 255, 255];
    };
    const out: string[] = [];
    for (const e of Array.from(document.querySelectorAll('main *'))) {
      const own = Array.from(e.childNodes).some((n) => n.nodeType === Node.TEXT_NODE && n.textContent!.trim());
      if (!own || (e as HTMLButtonElement).disabled) continue;
      const rect = e.getBoundingClientRect();
      if (!rect.width || !rect.height) continue; // hidden
      if (e.closest('svg')) continue; // the chart is checked through its own colours
      const s = getComputedStyle(e);
      const [l1, l2] = [lum(parse(s.color)), lum(background(e))].sort((a, b) => b - a);
      const ratio = (l1! + 0.05) / (l2! + 0.05);
      const size = parseFloat(s.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(s.fontWeight) >= 700);
      if (ratio < (large ? 3 : 4.5)) out.push(`${e.tagName.toLowerCase()} "${e.textContent!.trim().slice(0, 40)}" ${ratio.toFixed(2)}:1`);
    }
    return out;
  });
}
