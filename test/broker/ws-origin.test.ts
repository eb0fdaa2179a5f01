import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import WebSocket from 'ws';
import { startLocalBroker } from '../../src/broker/start-local-broker.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { launchChromium } from '../helpers/chromium.ts';
import { connectTestClient } from '../helpers/mqtt-client.ts';

// The WebSocket Origin allow-list [issue 13] on `gridpilot start`'s broker, both engines: a web page
// of another origin, in a real Chromium, cannot open an MQTT session through its visitor's browser
// (HTTP 403 before any MQTT); a page of an allowed origin can; clients that send no Origin (MQTT
// libraries) are not affected.

/** The page: opens ws(s)://…/mqtt given in ?ws=, sends an MQTT 3.1.1 CONNECT, and reports the CONNACK or the refusal. */
const PAGE = `<!doctype html><meta charset="utf-8"><title>elsewhere</title><script>
const ws = new WebSocket(new URLSearchParams(location.search).get('ws'), ['mqtt']);
ws.binaryType = 'arraybuffer';
ws.onopen = () => ws.send(new Uint8Array([0x10, 16, 0, 4, 77, 81, 84, 84, 4, 2, 0, 60, 0, 4, 112, 97, 103, 101]));
let got = [];
// An MQTT packet may span WebSocket frames (aedes writes a CONNACK in pieces).
ws.onmessage = (e) => { got = got.concat(Array.from(new Uint8Array(e.data))); if (got.length >= 4 && !window.result) window.result = got[0] === 0x20 ? 'connack ' + got[3] : 'other ' + got.join(','); };
ws.onclose = () => { window.result = window.result || 'refused'; };
</script>`;

/** A page server on one loopback address: its origin is http://ADDRESS:PORT. */
async function pageServer(address: string): Promise<{ origin: string; close(): Promise<void> }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(PAGE);
  });
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://${address}:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** What a plain WebSocket client gets when it sends this Origin: the HTTP status of a refusal, or 101. */
function handshakeStatus(url: string, origin: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ['mqtt'], origin === undefined ? {} : { origin });
    ws.once('open', () => {
      ws.terminate();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', reject);
  });
}

describe('MQTT over WebSocket: the Origin allow-list', () => {
  let browser: Browser;
  let allowed: { origin: string; close(): Promise<void> };
  let elsewhere: { origin: string; close(): Promise<void> };
  before(async () => {
    browser = await launchChromium();
    allowed = await pageServer('127.0.0.2');
    elsewhere = await pageServer('127.0.0.1');
  });
  after(async () => {
    await browser.close();
    await allowed.close();
    await elsewhere.close();
  });

  const fromPage = async (origin: string, wsUrl: string): Promise<string> => {
    const page = await browser.newPage();
    try {
      await page.goto(`${origin}/?ws=${encodeURIComponent(wsUrl)}`);
      const handle = await page.waitForFunction(() => (globalThis as unknown as { result?: string }).result, undefined, { timeout: 10_000 });
      return String(await handle.jsonValue());
    } finally {
      await page.close();
    }
  };

  for (const engine of ['aedes', 'mosquitto'] as const) {
    it(`${engine}: a page of another origin is refused (403), an allowed one connects, a client without Origin too`, async () => {
      const b = await startLocalBroker({ host: '127.0.0.1', port: 0, wsPort: 0, engine, maxPacketBytes: 1 << 20, wsAllowedOrigins: [allowed.origin] }, {}, silentLogger, { serial: 'OMORIGIN000000001' });
      try {
        const wsUrl = b.wsUrl ?? '';
        assert.equal(await fromPage(elsewhere.origin, wsUrl), 'refused', 'another origin, in Chromium');
        assert.equal(await fromPage(allowed.origin, wsUrl), 'connack 0', 'the allowed origin, in Chromium');
        assert.equal(await handshakeStatus(wsUrl, elsewhere.origin), 403);
        assert.equal(await handshakeStatus(wsUrl, allowed.origin), 101);
        const library = await connectTestClient(wsUrl, { protocolVersion: 4 });
        await library.end();
      } finally {
        await b.close();
      }
    });
  }

  it('by default (no origin listed) every page is refused', async () => {
    const b = await startLocalBroker({ host: '127.0.0.1', port: 0, wsPort: 0, engine: 'aedes', maxPacketBytes: 1 << 20 }, {}, silentLogger, { serial: 'OMORIGIN000000001' });
    try {
      assert.equal(await fromPage(allowed.origin, b.wsUrl ?? ''), 'refused');
      assert.equal(await handshakeStatus(b.wsUrl ?? '', 'https://example.com'), 403);
    } finally {
      await b.close();
    }
  });
});
