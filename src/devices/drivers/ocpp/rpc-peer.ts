import { createRPCError } from 'ocpp-rpc';
import type { z } from 'zod';
import { GridpilotError } from '../../../core/errors.ts';

/** What gridpilot's OCPP code uses of an ocpp-rpc client (RPCClient and RPCServerClient both fit). */
export interface RpcPeer {
  call(method: string, params?: unknown, options?: Record<string, unknown>): Promise<unknown>;
  handle(method: string, handler: (call: { params?: unknown }) => Promise<Record<string, unknown>>): void;
}

/** An RPC error as ocpp-rpc raises it for a CALLERROR [OCPP-J §4.2.3]: `rpcErrorCode` + message. */
export function describeRpcError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as Error & { rpcErrorCode?: unknown }).rpcErrorCode;
    return typeof code === 'string' ? `CALLERROR ${code}${err.message ? `: ${err.message}` : ''}` : err.message;
  }
  return String(err);
}

/** Calls `method` and checks the answer's shape; throws a GridpilotError naming the method on a CALLERROR, timeout or a bad answer. */
export async function callChecked<S extends z.ZodType>(peer: RpcPeer, where: string, method: string, params: unknown, schema: S): Promise<z.output<S>> {
  let answer: unknown;
  try {
    answer = await peer.call(method, params);
  } catch (err) {
    throw new GridpilotError(`${method} failed: ${describeRpcError(err)}`, where);
  }
  const parsed = schema.safeParse(answer);
  if (!parsed.success) throw new GridpilotError(`${method}: unexpected answer ${JSON.stringify(answer)}`, where);
  return parsed.data;
}

/** Parses an inbound call's params; a bad payload becomes a FormatViolation CALLERROR for the sender. */
export function parseParams<S extends z.ZodType>(schema: S, params: unknown, method: string): z.output<S> {
  const parsed = schema.safeParse(params);
  if (!parsed.success) {
    throw createRPCError('FormatViolation', `${method}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}
