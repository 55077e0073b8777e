// Drives headless Chromium through the pages a learner and a funder open
// from an email. Started by the `browser` end-to-end test, which sets up the
// server, reads the invitation from its SMTP server and checks the database
// afterwards. Everything here talks to that loopback server only.
//
// Environment:
//   FORM_URL     the invitation link, as found in the email
//   FORM_URL_FR  an invitation link of a French-speaking learner
//   REPORT_URL   a shared report link
//   SHOTS_DIR    where screenshots are written
//   CHROMIUM     the browser binary (default /usr/bin/chromium)
//
// Prints one JSON line of findings; exits non-zero on the first failed check.

import { chromium } from 'playwright-core';
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const axePath = require.resolve('axe-core/axe.min.js');

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const formUrl = env('FORM_URL');
const formUrlFr = env('FORM_URL_FR');
const reportUrl = env('REPORT_URL');
const shots = env('SHOTS_DIR');
mkdirSync(shots, { recursive: true });

const check = (ok, what) => {
  if (!ok) throw new Error(`check failed: ${what}`);
};

const phone = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
  // axe is injected as a script; the pages' policy forbids scripts.
  bypassCSP: true,
};
const desktop = { viewport: { width: 1280, height: 900 }, bypassCSP: true };

/** Runs axe and returns the serious and critical violations. */
async function axe(page, name) {
  await page.addScriptTag({ path: axePath });
  const result = await page.evaluate(async () =>
    // eslint-disable-next-line no-undef
    axe.run(document, { resultTypes: ['violations'] }),
  );
  const bad = result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ page: name, id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')) }));
  const minor = result.violations
    .filter((v) => !(v.impact === 'serious' || v.impact === 'critical'))
    .map((v) => `${v.id} (${v.impact})`);
  return { bad, minor };
}

/** The input of a question, found by its visible prompt. */
const question = (page, prompt) =>
  page.locator('fieldset, .field').filter({ hasText: prompt });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-domain-reliability',
    '--no-first-run',
  ],
});

const findings = { axe: [], minor: {}, screenshots: [] };
const shot = async (page, name, options = {}) => {
  const path = join(shots, `${name}.png`);
  await page.screenshot({ path, fullPage: true, ...options });
  findings.screenshots.push(path);
};

try {
  // ---- A learner on a phone: fill every kind, save, come back, submit.
  const mobile = await browser.newContext(phone);
  const page = await mobile.newPage();
  const first = await page.goto(formUrl);
  check(first.status() === 200, `form answered ${first.status()}`);
  check((await page.getAttribute('html', 'lang')) === 'en', 'form in English');
  check((await page.locator('script').count()) === 0, 'no script on the page');

  // Likert by keyboard: focus the first point, then move right three times.
  await question(page, 'My tutor helps me').locator('input').first().focus();
  await page.keyboard.press('Space');
  for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
  const focusOutline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  check(focusOutline !== 'none', `focus is visible (outline ${focusOutline})`);
  await question(page, 'I feel left alone').getByLabel('2', { exact: true }).check();
  await question(page, 'Preferred mode').getByLabel('video').check();
  await question(page, 'Topics').getByLabel('maths').check();
  await question(page, 'Topics').getByLabel('method').check();
  await page.getByLabel('Hours per week').fill('2.5');
  await question(page, 'Would you recommend').getByLabel('9', { exact: true }).check();
  await page.getByLabel('Anything else').fill('<script>alert(1)</script> & merci');

  await Promise.all([page.waitForURL(/saved=1/), page.getByRole('button', { name: 'Save and finish later' }).click()]);
  check(await page.getByRole('status').isVisible(), 'the saved notice shows');

  // A fresh visit with the plain link shows the draft again.
  await page.goto(formUrl);
  const s1 = await question(page, 'My tutor helps me').locator('input:checked').getAttribute('value');
  check(s1 === '4', `Likert answered by keyboard kept (${s1})`);
  check(await question(page, 'Topics').getByLabel('maths').isChecked(), 'choices kept');
  check((await page.getByLabel('Hours per week').inputValue()) === '2.5', 'number kept');
  check(
    (await page.getByLabel('Anything else').inputValue()) === '<script>alert(1)</script> & merci',
    'markup kept as text',
  );
  check((await page.locator('script').count()) === 0, 'typed markup did not become a script');
  await shot(page, 'form-phone');
  const formAxe = await axe(page, 'form');
  findings.axe.push(...formAxe.bad);
  findings.minor.form = formAxe.minor;

  const wide = await browser.newContext(desktop);
  const big = await wide.newPage();
  await big.goto(formUrl);
  await shot(big, 'form-desktop');

  await Promise.all([page.waitForURL(/done=1/), page.getByRole('button', { name: 'Send my answers' }).click()]);
  check((await page.locator('h1').textContent()) === 'Thank you', 'thank-you page');
  await shot(page, 'thanks-phone');
  await page.goto(formUrl);
  check((await page.locator('h1').textContent()) === 'You have already answered', 'used link explains itself');

  // ---- A French-speaking learner who gets a number wrong.
  const fr = await mobile.newPage();
  await fr.goto(formUrlFr);
  check((await fr.getAttribute('html', 'lang')) === 'fr', 'form in French');
  await fr.getByLabel('Hours per week').fill('beaucoup');
  await fr.getByRole('button', { name: 'Envoyer mes réponses' }).click();
  await fr.waitForLoadState();
  const error = fr.locator('.field', { hasText: 'Hours per week' }).locator('.error');
  check((await error.textContent()) === 'Saisissez un nombre, par exemple 12 ou 2,5.', 'error next to the field');
  const described = await fr.getByLabel('Hours per week').getAttribute('aria-describedby');
  check(described.includes(await error.getAttribute('id')), 'the error describes the field');
  check(await fr.getByRole('alert').isVisible(), 'an error summary');
  await shot(fr, 'form-errors-phone-fr');
  const errorAxe = await axe(fr, 'form with errors');
  findings.axe.push(...errorAxe.bad);
  findings.minor.formWithErrors = errorAxe.minor;

  // ---- A funder opens a shared report.
  const report = await big.goto(reportUrl);
  check(report.status() === 200, `report answered ${report.status()}`);
  check((await big.locator('svg').count()) > 0, 'report has charts');
  check((await big.locator('table').count()) > 0, 'report has tables');
  await shot(big, 'report-desktop');
  const reportAxe = await axe(big, 'report');
  findings.axe.push(...reportAxe.bad);
  findings.minor.report = reportAxe.minor;
  await big.emulateMedia({ media: 'print' });
  await shot(big, 'report-print');
  const reportPhone = await mobile.newPage();
  await reportPhone.goto(reportUrl);
  await shot(reportPhone, 'report-phone');

  check(findings.axe.length === 0, `no serious or critical axe violations: ${JSON.stringify(findings.axe)}`);
  console.log(JSON.stringify(findings));
} finally {
  await browser.close();
}
