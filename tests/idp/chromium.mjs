// A real browser for `octoken login`: headless Debian Chromium driven by playwright-core.
// Used as octoken's --browser command: `node chromium.mjs URL`. It signs in and consents
// on the provider's pages by clicking, like a person, and waits for octoken's page.
import { chromium } from 'playwright-core';

const url = process.argv[2];
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const browser = await chromium.launch({
  executablePath,
  headless: true,
  // Without the background-networking flags Chromium keeps dialling out on a closed network.
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});
try {
  const page = await browser.newPage();
  await page.goto(url);
  await page.fill('input[name=login]', 'carol');
  await page.fill('input[name=password]', 'any-password');
  await page.click('button[type=submit]');
  await page.waitForSelector('text=Continue');
  await page.click('button[type=submit]');
  // octoken's loopback page after the redirect.
  await page.waitForSelector('text=You can close this tab', { timeout: 20000 });
  if (process.env.SCREENSHOT) await page.screenshot({ path: process.env.SCREENSHOT });
  process.stderr.write(`chromium: ended on ${new URL(page.url()).origin}\n`);
} finally {
  await browser.close();
}
