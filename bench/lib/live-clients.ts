// Child process of bench/web-ui.ts: opens N WebSockets on <url>/api/live, as N browsers watching
// the Overview would, and counts what they receive (so parsing happens here, not in the
// controller's process). Prints "ready" once all are open; on SIGTERM prints "received <n> <bytes>" and exits.
import { WebSocket } from 'ws';

const [url, countText] = process.argv.slice(2);
const count = Number(countText ?? '10');
let messages = 0;
let bytes = 0;
const sockets: WebSocket[] = [];
await Promise.all(
  Array.from({ length: count }, () => {
    const ws = new WebSocket(`${(url ?? '').replace(/^http/, 'ws')}/api/live`);
    sockets.push(ws);
    ws.on('message', (data: Buffer) => {
      messages += 1;
      bytes += data.length;
      JSON.parse(data.toString('utf8'));
    });
    return new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
  }),
);
console.log('ready');
process.on('SIGTERM', () => {
  console.log(`received ${messages} ${bytes}`);
  for (const s of sockets) s.terminate();
  process.exit(0);
});
