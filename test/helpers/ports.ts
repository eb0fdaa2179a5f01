/** A TCP port free on 127.0.0.1 right now (for programs that cannot bind port 0 and report it). */
export { freePort } from '../../src/core/free-port.ts';
