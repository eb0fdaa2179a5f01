import type { Readable, Writable } from 'node:stream';

/**
 * Reads a password for `gridpilot broker …`: on a terminal, prompted on stderr with echo off
 * (raw mode; Enter ends it, Ctrl-C aborts, Backspace edits); otherwise the first line of stdin
 * (scripts: `echo "$PW" | gridpilot broker passwd acme`). The line end is not part of it.
 */
export async function readPassword(prompt: string, input: Readable & { isTTY?: boolean; setRawMode?: (on: boolean) => unknown } = process.stdin, output: Writable = process.stderr): Promise<string> {
  if (input.isTTY && input.setRawMode) return readFromTerminal(prompt, input as Readable & { setRawMode: (on: boolean) => unknown }, output);
  return readLine(input);
}

function readFromTerminal(prompt: string, input: Readable & { setRawMode: (on: boolean) => unknown }, output: Writable): Promise<string> {
  output.write(prompt);
  input.setRawMode(true);
  input.resume();
  return new Promise((resolve, reject) => {
    let text = '';
    const done = (err: Error | null): void => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      output.write('\n');
      if (err) reject(err);
      else resolve(text);
    };
    const onData = (chunk: Buffer): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done(null);
        if (ch === '\u0003') return done(new Error('aborted (Ctrl-C): nothing changed'));
        if (ch === '\u007f' || ch === '\b') text = [...text].slice(0, -1).join('');
        else text += ch;
      }
    };
    input.on('data', onData);
  });
}

function readLine(input: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const finish = (): void => {
      input.off('data', onData);
      input.off('end', onEnd);
      input.off('error', onError);
      input.pause();
    };
    const onData = (chunk: Buffer | string): void => {
      text += chunk.toString();
      const nl = text.indexOf('\n');
      if (nl >= 0) {
        finish();
        resolve(text.slice(0, nl).replace(/\r$/, ''));
      }
    };
    const onEnd = (): void => {
      finish();
      if (text === '') reject(new Error('no password given: stdin ended before a line (give --password PW, or pipe one line)'));
      else resolve(text.replace(/\r$/, ''));
    };
    const onError = (err: Error): void => {
      finish();
      reject(err);
    };
    input.on('data', onData);
    input.once('end', onEnd);
    input.once('error', onError);
    input.resume();
  });
}
