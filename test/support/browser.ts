import type {Browser} from 'playwright-core'

/** Debian's Chromium, driven headless through playwright-core (no browser download). */
export const CHROMIUM = '/usr/bin/chromium'

/** A headless Chromium that reaches nothing on its own (no background networking, updates or sync). */
export async function launchChromium(): Promise<Browser> {
  const {chromium} = await import('playwright-core')
  return chromium.launch({
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    executablePath: CHROMIUM,
  })
}
