// Launches Debian's Chromium through playwright-core for the Control Panel's browser tests and its
// benchmark: headless, no sandbox (CI runs as root), and none of the background connections a fresh
// profile makes, since this machine's network is closed and they would only fail and slow it down.

import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';

/** Where Debian's `chromium` package puts the browser. */
export const chromiumPath = process.env.GRAVITY_CHROMIUM ?? '/usr/bin/chromium';

/**
 * @example const browser = await launchChromium(); const page = await browser.newPage({ ignoreHTTPSErrors: true });
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}
