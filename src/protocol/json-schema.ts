import { z } from 'zod';
import { FeedbackSchema } from './feedback.ts';

/**
 * The live command as integrators see it [live §3]. (The runtime parser is more lenient in
 * shape so that it can answer each mistake with its own response_code.)
 */
const CommandDocSchema = z
  .object({
    extraTags: z.object({ nodeId: z.string().describe('the site node, <SN>_site_0') }).catchall(z.unknown()),
    time: z.union([z.number(), z.string().regex(/^\d+(\.\d+)?$/)]).describe('Unix seconds when sent (a value above 1e11 is read as milliseconds)'),
    fields: z
      .record(
        z.string().regex(/^[A-Za-z0-9_.:-]+_(policy|power_setpoint_w)$/),
        z.union([z.string().describe('a policy, e.g. setpoint, self_consumption, fallback'), z.number().describe('watts; storage + charge / − discharge')]),
      )
      .describe('<component or device nodeId>_policy and <…>_power_setpoint_w; {} asks for feedback only'),
  })
  .describe('gridpilot live command (SmartgridOne Live MQTT control)');

/** JSON Schemas of the wire messages, as checked into docs/ (CI fails when they drift). */
export function wireJsonSchemas(): Record<string, unknown> {
  return {
    'command.schema.json': z.toJSONSchema(CommandDocSchema, { target: 'draft-2020-12' }),
    'feedback.schema.json': z.toJSONSchema(FeedbackSchema, { target: 'draft-2020-12' }),
  };
}
