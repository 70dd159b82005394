/**
 * UI steps shared by the end-to-end tests. Each drives the app only through the controls a
 * technician uses: labels, buttons, file inputs and downloads.
 */
import { unzipSync } from 'fflate';
import { expect } from 'vitest';
import type { Page } from 'playwright-core';
import { download, goTo, inputFile } from './harness.js';

/** Passphrases the flows type; tests check that none of them reaches the log. */
export const CA_PASSPHRASE = 'lab-ca-passphrase-1';
export const PACKAGE_PASSPHRASE = 'package-passphrase-1';
export const IDENTITY_PASSPHRASE = 'device-keys-passphrase';

/** Returns the entries of a downloaded .zip by name. */
export function unzip(bytes: Uint8Array): Record<string, Uint8Array> {
  return unzipSync(bytes);
}

/** Waits until the newest message is a success or error and returns its text. */
export async function lastMessage(page: Page): Promise<string> {
  const message = page.getByTestId('messages').locator('.message').first();
  await message.waitFor();
  return (await message.locator('.message-text').textContent()) ?? '';
}

/** Waits for a message containing `text` (success or info). */
export async function expectMessage(page: Page, text: string | RegExp): Promise<void> {
  await page.getByTestId('messages').locator('.message', { hasText: text }).first().waitFor({ timeout: 120_000 });
}

/** Creates a lab system in manual mode through the Lab issuer screen. */
export async function createLabSystem(page: Page, name: string, components = 'controller', approval: 'manual' | 'automatic' = 'manual'): Promise<void> {
  await goTo(page, 'Lab issuer');
  const form = page.getByRole('form', { name: 'New system' });
  // The screen opens the form by itself once it has loaded an empty lab, and shows the system
  // selector otherwise: wait for either, so the toggle is not clicked while it still changes.
  await form.or(page.getByLabel('Selected system')).first().waitFor();
  if (!(await form.isVisible())) await page.getByRole('button', { name: 'New system' }).click();
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Approval').selectOption(approval);
  await page.getByLabel(/^Components/).fill(components);
  await page.getByLabel(/^CA passphrase/).fill(CA_PASSPHRASE);
  await page.getByRole('button', { name: 'Create system' }).click();
  await expectMessage(page, `System ${name} created`);
}

/** Exports the package of a component from the Lab issuer screen and returns the .zip. */
export async function exportLabPackage(page: Page, component = 'controller'): Promise<{ name: string; bytes: Uint8Array }> {
  await goTo(page, 'Lab issuer');
  await page.getByLabel('Component', { exact: true }).selectOption(component);
  await page.getByLabel(/^Package passphrase/).fill(PACKAGE_PASSPHRASE);
  const file = await download(page, () => page.getByRole('button', { name: 'Export package (.zip)' }).click());
  await expectMessage(page, 'Package saved as');
  return file;
}

/** Imports a package .zip on the Packages screen with its passphrase. */
export async function importPackage(page: Page, file: { name: string; bytes: Uint8Array }): Promise<void> {
  await goTo(page, 'Packages');
  await page.getByTestId('package-input').setInputFiles(inputFile(file.name, file.bytes));
  await page.getByLabel(/^Package passphrase/).fill(PACKAGE_PASSPHRASE);
  await page.getByRole('button', { name: 'Check and import' }).click();
  await expectMessage(page, 'checked and stored');
}

/** Generates requests for hardware ids on the Requests screen and waits for the batch to finish. */
export async function generateRequests(page: Page, hardwareIds: string[], cost: 'standard' | 'fast' = 'standard', wait = true): Promise<void> {
  await goTo(page, 'Requests');
  await page.getByLabel(/^Hardware ids/).fill(hardwareIds.join('\n'));
  await page.getByLabel('Package passphrase').fill(PACKAGE_PASSPHRASE);
  await page.getByLabel(/^Passphrase for the new device keys/).fill(IDENTITY_PASSPHRASE);
  await page.getByLabel('Key encryption cost').selectOption(cost);
  await page.getByRole('button', { name: /^Generate \d+ request/ }).click();
  if (wait) await expectMessage(page, `${hardwareIds.length} request(s) generated.`);
}

/** Selects every shown request and exports them; returns the .zip. */
export async function exportAllRequests(page: Page): Promise<{ name: string; bytes: Uint8Array }> {
  await goTo(page, 'Requests');
  await page.getByLabel('Select all shown requests').check();
  return download(page, () => page.getByRole('button', { name: 'Export selected (.zip)' }).click());
}

/** Reads the state column of the request table by hardware id. */
export async function queueStates(page: Page): Promise<Record<string, string>> {
  const rows = page.getByTestId('request-row');
  const states: Record<string, string> = {};
  for (const row of await rows.all()) {
    const hardwareId = (await row.getAttribute('data-hardware-id'))!;
    states[hardwareId] = (await row.locator('[data-state]').getAttribute('data-state'))!;
  }
  return states;
}

/** Parses the CSV the report export writes (RFC 4180, CRLF). */
export function parseCsv(text: string): Record<string, string>[] {
  const rows: string[][] = [];
  let field = '';
  let row: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(field);
      field = '';
    } else if (char === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += char;
  }
  const [header, ...body] = rows;
  expect(header).toBeDefined();
  return body.map((cells) => Object.fromEntries(header!.map((name, index) => [name, cells[index] ?? ''])));
}
